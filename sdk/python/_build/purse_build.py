"""A PEP 517 build backend for the Purse SDK, standard library only.

setuptools cannot build a wheel without the `wheel` package, and a machine
without a package index cannot fetch it; this backend writes the wheel (a zip
with a dist-info folder, PEP 427) itself, so `pip install --no-build-isolation
./sdk/python` works anywhere Python 3.9+ and pip are.

Metadata comes from pyproject.toml's [project] table (plain string keys only)
and the version from `purse/__init__.py`, so each is written once.
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "purse"
# Fixed timestamps make the same source build the same archive.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _project():
    """The [project] table's `key = "string"` entries; enough for this package's metadata."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    table = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if table is None:
        raise RuntimeError("pyproject.toml has no [project] table")
    fields = dict(re.findall(r'^([A-Za-z][\w-]*)\s*=\s*"([^"]*)"\s*$', table.group(1), re.M))
    with open(os.path.join(ROOT, PACKAGE, "__init__.py"), encoding="utf-8") as f:
        version = re.search(r'^__version__\s*=\s*"([^"]+)"', f.read(), re.M)
    if version is None:
        raise RuntimeError("purse/__init__.py has no __version__")
    fields["version"] = version.group(1)
    return fields


def _dist_name(project):
    return re.sub(r"[-_.]+", "_", project["name"]).lower()


def _metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        "Name: " + project["name"],
        "Version: " + project["version"],
        "Summary: " + project.get("description", ""),
        "Requires-Python: " + project.get("requires-python", ">=3.9"),
    ]
    if "license" in project:
        lines.append("License: " + project["license"])
    readme = project.get("readme")
    body = ""
    if readme:
        lines.append("Description-Content-Type: text/markdown")
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = "\n" + f.read()
    return "\n".join(lines) + "\n" + body


def _wheel_file():
    return "Wheel-Version: 1.0\nGenerator: purse_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files():
    """(archive path, bytes) of every file in the package, sorted; no caches."""
    out = []
    base = os.path.join(ROOT, PACKAGE)
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
            with open(path, "rb") as f:
                out.append((rel, f.read()))
    return out


def _write_wheel(directory, files):
    """Writes a wheel of `files` plus its dist-info (METADATA, WHEEL, RECORD); returns its name."""
    project = _project()
    dist = _dist_name(project) + "-" + project["version"]
    info = dist + ".dist-info"
    files = files + [(info + "/METADATA", _metadata(project).encode()), (info + "/WHEEL", _wheel_file().encode())]
    record = []
    name = dist + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as whl:
        for path, data in files:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
            _add(whl, path, data)
        record.append(info + "/RECORD,,")
        _add(whl, info + "/RECORD", ("\n".join(record) + "\n").encode())
    return name


def _add(archive, path, data):
    entry = zipfile.ZipInfo(path, ZIP_DATE)
    entry.external_attr = 0o644 << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, data)


# PEP 517 / PEP 660 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    info = _dist_name(project) + "-" + project["version"] + ".dist-info"
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    with open(os.path.join(metadata_directory, info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(project))
    with open(os.path.join(metadata_directory, info, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_wheel_file())
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _package_files())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel whose .pth file puts this source folder on sys.path (`pip install -e`)."""
    project = _project()
    return _write_wheel(wheel_directory, [(_dist_name(project) + ".pth", (ROOT + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    dist = _dist_name(project) + "-" + project["version"]
    name = dist + ".tar.gz"
    sources = [("pyproject.toml", None), ("_build/purse_build.py", None)]
    if project.get("readme"):
        sources.append((project["readme"], None))
    files = [(rel, _read(rel)) for rel, _ in sources] + _package_files()
    files.append(("PKG-INFO", _metadata(project).encode()))
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for rel, data in files:
            entry = tarfile.TarInfo(dist + "/" + rel)
            entry.size = len(data)
            entry.mode = 0o644
            entry.mtime = 315532800
            tar.addfile(entry, io.BytesIO(data))
    return name


def _read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()
