"""Plans handed over to the planners' own tools, and read back from them (issue 22).

- `plan`: `ExportPlan`, a Schedule with the project's logic (links, lags), which every
  export writes from;
- `xlsx`: the Excel workbook (openpyxl);
- `java`: MPXJ through JPype, started once per process; optional (the ``interop`` extra);
- `mpxj_export`: MS Project XML (MSPDI) and Primavera P6 XML (PMXML) through MPXJ;
- `mpxj_import`: an MSPDI, PMXML or XER file into a catalog and a project.
"""
