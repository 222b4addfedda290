"""The distribution as a user installs it: the wheel and the sdist are built, each is
installed into a fresh virtual environment, and every package imports there with its
templates, static files and catalogs (an editable install would hide a file the build leaves
out)."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tarfile
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Imported in the fresh environment; each file must be in the installed package.
CHECK = """
import importlib, importlib.metadata, importlib.resources as res, json, pkgutil, sys
from pathlib import Path
EXPECTED = json.loads(sys.argv[1])
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=[])
django.setup()
files = {
    "billflow_core": ["py.typed", "web/static/embed.js", "web/static/portal.css",
                      "web/templates/billflow/portal.html", "i18n/catalogs/en.json",
                      "i18n/catalogs/ar.json"],
    "billflow_sandbox": ["py.typed", "static/stripe.js"],
    "billflow_demo": [],
    "billflow_flask": ["templates/billflow/embed.html"],
    "billflow_bridge": ["py.typed", "migrations/env.py", "migrations/versions/0001_outbox.py",
                        "admin/catalogs/ar.json", "admin/static/admin.css",
                        "admin/templates/billflow_bridge/admin.html"],
    "billflow_wagtail": ["templates/billflow_wagtail/portal.html"],
}
modules = set()
for package, names in files.items():
    module = importlib.import_module(package)
    where = Path(module.__file__).parent
    if "site-packages" not in str(where):
        sys.exit(f"{package} came from {where}, not the installed distribution")
    for name in names:
        if not res.files(package).joinpath(name).is_file():
            sys.exit(f"{package} lacks {name}")
    if package != "billflow_wagtail":  # its models need a configured Django project
        for found in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(found.name)
            modules.add(found.name)
if sorted(modules) != sorted(EXPECTED):
    sys.exit(f"modules differ from the source tree: {sorted(set(EXPECTED) ^ modules)}")
if importlib.metadata.version("billflow") != importlib.import_module("billflow_core").__version__:
    sys.exit("the distribution's version is not billflow_core.__version__")
print("ok")
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # The sdist from the tree, then the wheel from the sdist (what `build` does with no
    # flag): a wheel built in the tree could carry a stale copy from an old build/ folder.
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def _fresh_env(where: Path) -> Path:
    """A new virtual environment that sees this one's dependencies (Django, Flask…) but
    not its editable Billflow: the one installed next is the only Billflow there."""
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _source_modules() -> set[str]:
    """Every module below the packages the check imports, as the source tree has them."""
    found = set()
    packages = ("billflow_core", "billflow_sandbox", "billflow_demo", "billflow_flask",
                "billflow_bridge")  # fmt: skip
    for folder in (ROOT, ROOT / "plugins" / "flask_ext", ROOT / "plugins" / "webhook_bridge"):
        for package in packages:
            for path in (folder / package).rglob("*.py") if (folder / package).is_dir() else ():
                parts = path.relative_to(folder).with_suffix("").parts
                if "migrations" in parts:
                    continue  # Alembic's scripts, loaded by path: files, not modules
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if len(parts) > 1:
                    found.add(".".join(parts))
    return found


@pytest.mark.parametrize("kind", ["whl", "tar.gz"])
def test_each_distribution_installs_every_package_with_its_files(
    built: Path, tmp_path: Path, kind: str
) -> None:
    (artifact,) = built.glob(f"*.{kind}")
    python = _fresh_env(tmp_path / "env")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", str(artifact)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    expected = json.dumps(sorted(_source_modules()))
    checked = subprocess.run(
        [python, "-c", CHECK, expected], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert checked.stdout.strip() == "ok", checked.stdout + checked.stderr


def test_the_sdist_carries_the_readme_licence_and_project(built: Path) -> None:
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"README.md", "LICENSE", "pyproject.toml"} <= names
