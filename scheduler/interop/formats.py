"""The export formats, their file names beside schedule.csv, and the one writer entry."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from scheduler.interop.plan import ExportPlan

INSTALL_HINT = "pip install 'modsched[interop]'"


class ExportFormat(StrEnum):
    MSPDI = "mspdi"  # MS Project XML
    PMXML = "pmxml"  # Primavera P6 XML
    XLSX = "xlsx"  # Excel workbook

    @property
    def file_name(self) -> str:
        """The file's name when written beside schedule.csv (``--export``)."""
        return EXPORT_FILES[self]


EXPORT_FILES = {
    ExportFormat.MSPDI: "schedule.mspdi.xml",
    ExportFormat.PMXML: "schedule.pmxml.xml",
    ExportFormat.XLSX: "schedule.xlsx",
}


class InteropUnavailable(Exception):
    """A package the interop extra brings (openpyxl, mpxj, JPype1) or Java is missing;
    the message says, in one line, what to install."""


def parse_formats(text: str) -> list[ExportFormat]:
    """``mspdi,xlsx`` as formats, each once, in the order given; ValueError names the
    unknown one."""
    found: list[ExportFormat] = []
    for part in (p.strip() for p in text.split(",")):
        try:
            fmt = ExportFormat(part)
        except ValueError:
            known = ", ".join(f.value for f in ExportFormat)
            raise ValueError(f"unknown export format '{part}' ({known})") from None
        if fmt not in found:
            found.append(fmt)
    return found


def require(fmt: ExportFormat) -> None:
    """Raise `InteropUnavailable` unless ``fmt`` can be written here (checked before a
    solve, so that a missing package does not cost the run); starts the JVM for MPXJ."""
    if fmt is ExportFormat.XLSX:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise InteropUnavailable(
                f"xlsx export needs openpyxl, which is not installed: {INSTALL_HINT}"
            ) from None
    else:
        from scheduler.interop.java import start_jvm

        start_jvm(f"{fmt.value} export")


def write_export(plan: ExportPlan, fmt: ExportFormat, path: Path) -> None:
    """Write ``plan`` to ``path`` in ``fmt`` (atomically)."""
    require(fmt)
    if fmt is ExportFormat.XLSX:
        from scheduler.interop.xlsx import write_xlsx

        write_xlsx(plan, path)
        return
    from scheduler.interop.mpxj_export import write_project

    write_project(plan, fmt, path)
