"""deploy/: the production config loads, nginx accepts the site (`nginx -t`), the systemd unit,
the Dockerfile and compose.yaml say what docs/operations.md says, and the Dockerfile installs
with the Makefile's recipe (docker cannot build here: no daemon, no registry)."""

from __future__ import annotations

import configparser
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from settings import load_settings, resolve_jwt_secret
from tests.adapters.certs import make_self_signed
from tests.processes import ROOT
from tests.services import IN_CI

DEPLOY = ROOT / "deploy"
SECRETS = {
    "JWT_SECRET_KEY": "x" * 48,
    "DATABASE_URL": "mysql+asyncmy://studysync:db-password@127.0.0.1:3306/studysync",
    "REDIS_URL": "redis://:redis-password@127.0.0.1:6379/0",
}


def test_the_production_example_loads_with_secrets_from_the_environment() -> None:
    settings = resolve_jwt_secret(load_settings(DEPLOY / "config.production.toml", SECRETS))
    assert settings.is_production and settings.log_json
    assert settings.database_url.startswith("mysql+asyncmy://") and settings.redis_url
    assert "127.0.0.1" in settings.http.trusted_proxies
    assert settings.accounts.require_verified_email and settings.accounts.admins
    assert settings.jwt_expiry_hours <= 1
    text = (DEPLOY / "config.production.toml").read_text()
    assert "db-password" not in text and "smtp_url" in text  # placeholder, secrets from env


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )
    if found:
        return found
    if IN_CI:
        pytest.fail("nginx is missing (scripts/test-setup.sh installs it; required when CI=true)")
    pytest.skip("NOTICE: nginx is missing (scripts/test-setup.sh installs it); skipping")


def nginx_test(
    tmp_path: Path, upstream: str, site: str | None = None
) -> subprocess.CompletedProcess:
    """`nginx -t` on the site in a private prefix: a self-signed certificate in place of the
    real one, its own pid and temp paths; the system nginx is never touched."""
    cert = make_self_signed(tmp_path)
    site = site if site is not None else (DEPLOY / "nginx" / "studysync.conf").read_text()
    site = site.replace("/etc/ssl/studysync/fullchain.pem", str(cert.cert_file))
    site = site.replace("/etc/ssl/studysync/privkey.pem", str(cert.key_file))
    (tmp_path / "studysync.conf").write_text(site)
    text = (DEPLOY / "nginx" / upstream).read_text()
    (tmp_path / "studysync-upstream.conf").write_text(
        text.replace("worker1:", "127.0.0.1:").replace("worker2:", "127.0.0.1:")  # no DNS here
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n"
        f"  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  access_log off;\n  include {tmp_path}/studysync.conf;\n}}\n"
    )
    command = [_nginx(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    return subprocess.run([*command, "-e", "stderr"], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("upstream", ["upstream.conf", "upstream.compose.conf"])
def test_nginx_accepts_the_site(tmp_path: Path, upstream: str) -> None:
    result = nginx_test(tmp_path, upstream)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_test_catches_a_broken_site(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "studysync.conf").read_text().replace("proxy_pass", "proxy_passs")
    result = nginx_test(tmp_path, "upstream.conf", site)
    assert result.returncode != 0 and "proxy_passs" in result.stderr


def test_the_site_has_tls_websocket_upgrade_sticky_sessions_and_forwarded_for() -> None:
    site = (DEPLOY / "nginx" / "studysync.conf").read_text()
    socket_io = site.split("location /socket.io/ {")[1].split("}")[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in socket_io
    assert "proxy_set_header Connection $connection_upgrade;" in socket_io
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in socket_io
    assert "listen 443 ssl" in site and "return 301 https://" in site
    for upstream in ("upstream.conf", "upstream.compose.conf"):
        text = (DEPLOY / "nginx" / upstream).read_text()
        assert "ip_hash;" in text and text.count("server ") >= 2


def test_the_systemd_unit_runs_serve_as_a_non_root_user_and_restarts() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "studysync@.service")
    service = unit["Service"]
    assert service["User"] not in {"", "root"} and service["EnvironmentFile"]
    assert "server.py serve" in service["ExecStart"] and "--port %i" in service["ExecStart"]
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"
    assert "studysync-migrate.service" in unit["Unit"]["Requires"]
    migrate = configparser.ConfigParser(strict=False, interpolation=None)
    migrate.read(DEPLOY / "studysync-migrate.service")
    assert "server.py migrate" in migrate["Service"]["ExecStart"]


def _run_lines(dockerfile: str) -> list[str]:
    joined = dockerfile.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("RUN ")]


def test_the_dockerfile_is_multi_stage_non_root_with_a_readiness_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("\nFROM ") >= 2 and "COPY --from=build" in text
    user = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert user and user[-1] not in {"root", "0"}
    assert "HEALTHCHECK" in text and "/api/health/ready" in text
    runs = _run_lines(text)
    assert any("bash scripts/install.sh .venv/bin/python" in line for line in runs)
    assert not any("pip install" in line for line in runs)  # only the shared script installs


def test_the_makefile_installs_with_the_same_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "bash scripts/install.sh $(PY) test" in makefile
    assert "pip install" not in makefile


def _fake_python(tmp_path: Path) -> Path:
    """A python that records `-m pip ...` calls and runs everything else for real."""
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-m" ]; then echo "$@" >> {tmp_path}/pip.log; exit 0; fi\n'
        f'exec {sys.executable} "$@"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


@pytest.mark.parametrize("torch_index", ["", "https://download.pytorch.org/whl/cpu"])
def test_the_install_script_pins_pyprojects_torch_in_the_same_command(
    tmp_path: Path, torch_index: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TORCH_INDEX_URL"}
    if torch_index:
        env["TORCH_INDEX_URL"] = torch_index
    script = ROOT / "scripts" / "install.sh"
    subprocess.run(["bash", str(script), str(_fake_python(tmp_path)), "test"], env=env, check=True)
    calls = (tmp_path / "pip.log").read_text().splitlines()
    assert calls[-1] == "-m pip install --quiet torch==2.13.0 -e .[test]"
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "torch==2.13.0" in deps
    if torch_index:
        assert calls[-2] == f"-m pip install --quiet torch==2.13.0 --index-url {torch_index}"


def test_compose_runs_mariadb_redis_nginx_and_two_workers_after_migrating() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"mariadb", "redis", "nginx", "migrate"} <= set(services)
    workers = [s for s in services.values() if s.get("command", [None])[0] == "serve"]
    assert len(workers) >= 2
    ports = {worker["environment"]["PORT"] for worker in workers}
    assert len(ports) == len(workers)
    for worker in workers:
        assert worker["build"]["dockerfile"] == "deploy/Dockerfile"
        assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert worker["environment"]["REDIS_URL"].startswith("redis://")
    upstream = (DEPLOY / "nginx" / "upstream.compose.conf").read_text()
    names = [n for n, s in services.items() if s in workers]
    assert all(
        f"server {name}:{services[name]['environment']['PORT']}" in upstream for name in names
    )


def test_systemd_analyze_verify_finds_nothing_to_report(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("NOTICE: systemd-analyze is missing; the unit is only checked statically")
    for name in ("studysync@.service", "studysync-migrate.service"):
        text = (
            (DEPLOY / name).read_text().replace("/opt/studysync/.venv/bin/python", sys.executable)
        )
        (tmp_path / name.replace("@.", "@5001.")).write_text(text)
    command = [analyze, "verify", "studysync-migrate.service", "studysync@5001.service"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
