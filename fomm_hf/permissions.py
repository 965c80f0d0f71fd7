"""What the project writes gets the user's ordinary permissions (their umask), as any program's files do.

Temporary files and folders (``tempfile.mkstemp``/``mkdtemp``) are private, and safetensors writes its files
private too (0600); files moved into place from them are given back the permissions of ordinary ones, so that a
model converted or trained by one user can be read by another on a shared machine or in a container.
"""

import os
from pathlib import Path


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def give_ordinary_permissions(path) -> None:
    """``path`` and, for a folder, everything in it: folders 0777 and files 0666, less the umask."""
    path, umask = Path(path), current_umask()
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        item.chmod((0o777 if item.is_dir() else 0o666) & ~umask)
