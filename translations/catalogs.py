"""Compiling translation catalogs (.po to .mo) in pure Python.

Django's `compilemessages` needs GNU gettext's msgfmt; polib does the same
job with nothing but Python. The app compiles at start-up any catalog whose
.mo is missing or older than its .po (translations/apps.py), so a deployment
that only installs, migrates and starts still speaks Korean; `manage.py
compile_translations` does it ahead of time, for a read-only deployment.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import polib
from django.conf import settings

logger = logging.getLogger(__name__)


def catalogs() -> list[Path]:
    return [
        po
        for folder in settings.LOCALE_PATHS
        for po in sorted(Path(folder).glob("*/LC_MESSAGES/*.po"))
    ]


def compile_catalog(po: Path) -> Path:
    """Write po's .mo beside it, atomically; fuzzy entries are left out."""
    mo = po.with_suffix(".mo")
    draft = mo.with_name(f".{mo.name}.{os.getpid()}")
    polib.pofile(str(po)).save_as_mofile(str(draft))
    draft.replace(mo)
    return mo


def compile_stale_catalogs() -> None:
    for po in catalogs():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            compile_catalog(po)
        except OSError as exc:  # a read-only deployment: say so, and go on
            logger.warning("Could not compile %s: %s", po, exc)
