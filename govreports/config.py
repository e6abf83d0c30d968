"""Where the pipeline's data lives: the one place that builds paths.

Every module that touches disk asks a `DataPaths` for its locations, so moving the data (another disk,
a temp dir in tests, curated tables on S3) is one constructor argument or one environment variable, and
tests can assert exact paths. `code_version()` stamps curated rows with the code that produced them
without needing git (deployments often run from an sdist or a copied tree).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_DATA_DIR = "GOVREPORTS_DATA_DIR"
ENV_CURATED_URI = "GOVREPORTS_CURATED_URI"
ENV_STORAGE_OPTIONS = "GOVREPORTS_STORAGE_OPTIONS"

#: AWS variables handed to delta-rs as storage options when curated/ is on object storage. delta-rs
#: reads most of them from the environment itself; passing them explicitly makes the choice visible
#: and lets GOVREPORTS_STORAGE_OPTIONS override one of them without touching the environment.
_AWS_ENV_KEYS = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_S3_ALLOW_UNSAFE_RENAME",
    "AWS_CONDITIONAL_PUT",
)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_PACKAGE_DIR = Path(__file__).resolve().parent


def _is_uri(value: str) -> bool:
    return "://" in value and not value.startswith("file://")


def _repo_root() -> Path | None:
    """The checkout holding this package, when it is one (pyproject.toml beside it) and writable."""
    root = _PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and os.access(root, os.W_OK):
        return root
    return None


def _storage_options_from_env(env: Mapping[str, str]) -> dict[str, str]:
    options = {key: env[key] for key in _AWS_ENV_KEYS if env.get(key)}
    raw = env.get(ENV_STORAGE_OPTIONS)
    if raw:
        extra = json.loads(raw)
        if not isinstance(extra, dict):
            raise ValueError(f"{ENV_STORAGE_OPTIONS} must be a JSON object, got {type(extra).__name__}")
        options.update({str(k): str(v) for k, v in extra.items()})
    return options


@dataclass(frozen=True)
class DataPaths:
    """All data locations of one deployment.

    Layout under `data_dir`: raw/{inbox,objects,quarantine,state}, curated/, runs/. `curated_dir` is a
    local Path, or a URI string (s3://bucket/prefix) when the curated tables live on object storage.
    """

    data_dir: Path
    raw_dir: Path
    inbox_dir: Path
    objects_dir: Path
    quarantine_dir: Path
    state_dir: Path
    curated_dir: Path | str
    runs_dir: Path
    storage_options: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_dir(
        cls,
        data_dir: str | Path | None = None,
        *,
        curated_uri: str | None = None,
        storage_options: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> DataPaths:
        """Build the layout for `data_dir`.

        Args:
            data_dir: root of the data; default env GOVREPORTS_DATA_DIR, else the repo root (when this
                package sits in a writable checkout), else the current directory.
            curated_uri: where the curated tables live; default env GOVREPORTS_CURATED_URI, else
                `<data_dir>/curated`. An `s3://` URI keeps raw/ and runs/ local.
            storage_options: delta-rs storage options for a remote curated_uri; default from the AWS_*
                variables plus the JSON object in GOVREPORTS_STORAGE_OPTIONS.
            env: the environment to read (default os.environ); tests pass a dict.
        """
        env = os.environ if env is None else env
        if data_dir is None:
            data_dir = env.get(ENV_DATA_DIR) or _repo_root() or Path.cwd()
        root = Path(data_dir).expanduser().absolute()
        raw = root / "raw"
        curated_uri = curated_uri or env.get(ENV_CURATED_URI) or None
        curated: Path | str
        if curated_uri and _is_uri(curated_uri):
            curated = curated_uri.rstrip("/")
        elif curated_uri:
            curated = Path(curated_uri.removeprefix("file://")).expanduser().absolute()
        else:
            curated = root / "curated"
        if storage_options is None:
            storage_options = _storage_options_from_env(env) if isinstance(curated, str) else {}
        return cls(
            data_dir=root,
            raw_dir=raw,
            inbox_dir=raw / "inbox",
            objects_dir=raw / "objects",
            quarantine_dir=raw / "quarantine",
            state_dir=raw / "state",
            curated_dir=curated,
            runs_dir=root / "runs",
            storage_options=dict(storage_options),
        )

    @property
    def curated_is_local(self) -> bool:
        return isinstance(self.curated_dir, Path)

    def table_uri(self, name: str) -> str:
        """Location of the Delta table `name` (a path string for local tables, a URI otherwise)."""
        if not re.fullmatch(r"_?[a-z][a-z0-9_]*", name):
            raise ValueError(f"bad table name {name!r}")
        if isinstance(self.curated_dir, Path):
            return str(self.curated_dir / name)
        return f"{self.curated_dir}/{name}"

    @property
    def publish_lock_path(self) -> Path:
        """File flock()ed by a publisher for the whole publish (local curated dir only)."""
        if not isinstance(self.curated_dir, Path):
            raise ValueError("a remote curated store has no local lock file (single writer assumed)")
        return self.curated_dir / "_publish.lock"

    def object_path(self, sha256: str) -> Path:
        """raw/objects/<sha[:2]>/<sha>: where the bytes of one raw page live."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.objects_dir / sha256[:2] / sha256

    def sidecar_path(self, sha256: str) -> Path:
        """raw/objects/<sha[:2]>/<sha>.json: the sightings of one raw page."""
        path = self.object_path(sha256)
        return path.with_name(path.name + ".json")

    def run_dir(self, run_id: str) -> Path:
        """runs/<run_id>: reports and validation results of one run."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", run_id):
            raise ValueError(f"bad run id {run_id!r}")
        return self.runs_dir / run_id

    def stage_dir(self, run_id: str) -> Path:
        """runs/<run_id>/stage: the run's staged rows (scratch until published)."""
        return self.run_dir(run_id) / "stage"

    def fetch_state_path(self, source: str) -> Path:
        """raw/state/fetch-<source>.json: one portal's fetch state (one file per source, so concurrent
        fetch tasks never overwrite each other's)."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", source):
            raise ValueError(f"bad source name {source!r}")
        return self.state_dir / f"fetch-{source}.json"

    @property
    def inbox_lock_path(self) -> Path:
        """raw/inbox.lock: flock()ed while the inbox is received (one receiver at a time)."""
        return self.raw_dir / "inbox.lock"

    @property
    def sidecar_lock_path(self) -> Path:
        """raw/objects/.sidecar.lock: flock()ed while a page's sightings are updated."""
        return self.objects_dir / ".sidecar.lock"

    @property
    def retry_ledger_path(self) -> Path:
        """raw/state/retries.json: pages whose parse failed, their attempts and backoff."""
        return self.state_dir / "retries.json"

    @property
    def prefect_home(self) -> Path:
        """<data_dir>/.prefect: the default PREFECT_HOME of runs started by the command."""
        return self.data_dir / ".prefect"

    @property
    def local_dirs(self) -> tuple[Path, ...]:
        """The directories a deployment needs on local disk (govreports/io/files.ensure_dirs makes them)."""
        dirs = (self.inbox_dir, self.objects_dir, self.quarantine_dir, self.state_dir, self.runs_dir)
        return (*dirs, self.curated_dir) if isinstance(self.curated_dir, Path) else dirs


def _code_files(package_dir: Path) -> list[Path]:
    files = []
    for path in package_dir.rglob("*"):
        rel = path.relative_to(package_dir)
        if not path.is_file() or "__pycache__" in rel.parts or any(p.startswith(".") for p in rel.parts):
            continue
        if path.suffix == ".py" or rel.parts[0] == "rules":
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(package_dir).as_posix())


@functools.lru_cache(maxsize=4)
def code_version(package_dir: Path | None = None) -> str:
    """`<package version>+<12 hex>`: a digest of every .py and rules file of the package.

    Same code, same string, on any machine and without git: the digest covers relative paths and
    contents only (no mtimes), so a copied or reinstalled tree keeps its version and any edit to code
    or rules changes it.
    """
    from govreports._version import __version__

    package_dir = package_dir or _PACKAGE_DIR
    digest = hashlib.sha256()
    for path in _code_files(package_dir):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return f"{__version__}+{digest.hexdigest()[:12]}"
