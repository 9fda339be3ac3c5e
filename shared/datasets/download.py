"""Fetch a public data file into the data folder once, atomically, with one clear error offline."""

from __future__ import annotations

from pathlib import Path

from shared.errors import DatasetNotFoundError


def fetch_to(url: str, target: Path, timeout: float = 30.0) -> Path:
    import httpx

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as resp:
            resp.raise_for_status()
            with tmp.open("wb") as fh:
                for chunk in resp.iter_bytes():
                    fh.write(chunk)
    except (httpx.HTTPError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DatasetNotFoundError(
            f"{target} is missing and downloading it from {url} failed ({exc.__class__.__name__}: {exc}). "
            f"Without network access, copy the file there by hand (or point VERTICALS_DATA at a folder "
            f"that has it)."
        ) from exc
    tmp.replace(target)
    return target
