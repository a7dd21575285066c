"""Settings from the environment: production refuses unsafe configuration and passes check --deploy.

Each case imports the settings in a fresh interpreter, the way a server starts.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]
GOOD_SECRET = secrets.token_urlsafe(50)


def _env(data_dir: Path, **overrides: str) -> dict[str, str]:
    # A clean deployment environment: nothing of this test run's own settings (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly warns about).
    inherited = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELOOP_") and k not in inherited}
    env.update({"WELOOP_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "weloop.settings", **overrides})
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)


def _import_settings(env: dict[str, str], expression: str = "") -> subprocess.CompletedProcess:
    code = "import weloop.settings as s" + (f"; print({expression})" if expression else "")
    return _run(["-c", code], env)


def test_production_refuses_to_start_without_a_secret(tmp_path):
    result = _import_settings(_env(tmp_path, WELOOP_ENV="production"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "WELOOP_SECRET_KEY" in result.stderr


def test_production_refuses_a_secret_generated_by_an_earlier_development_run(tmp_path):
    assert _import_settings(_env(tmp_path)).returncode == 0  # development writes dev-secret-key
    assert (tmp_path / "dev-secret-key").exists()

    result = _import_settings(_env(tmp_path, WELOOP_ENV="production"))

    assert result.returncode != 0
    assert "WELOOP_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("weak", ["changeme", "django-insecure", "x" * 49])
def test_production_refuses_a_weak_secret(tmp_path, weak):
    result = _import_settings(_env(tmp_path, WELOOP_ENV="production", WELOOP_SECRET_KEY=weak))

    assert result.returncode != 0
    assert "WELOOP_SECRET_KEY" in result.stderr


def test_production_refuses_debug(tmp_path):
    env = _env(tmp_path, WELOOP_ENV="production", WELOOP_SECRET_KEY=GOOD_SECRET, WELOOP_DEBUG="1")

    result = _import_settings(env)

    assert result.returncode != 0
    assert "WELOOP_DEBUG" in result.stderr


def test_production_starts_with_a_proper_secret_and_debug_off(tmp_path):
    env = _env(tmp_path, WELOOP_ENV="production", WELOOP_SECRET_KEY=GOOD_SECRET)

    result = _import_settings(env, "s.DEBUG, s.SECRET_KEY_IS_GENERATED, s.SESSION_COOKIE_SECURE")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]
    assert not (tmp_path / "dev-secret-key").exists()


def test_production_passes_check_deploy_without_warnings(tmp_path):
    env = _env(
        tmp_path,
        WELOOP_ENV="production",
        WELOOP_SECRET_KEY=GOOD_SECRET,
        WELOOP_ALLOWED_HOSTS="shop.example.com",
        WELOOP_PUBLIC_URL="https://shop.example.com",
    )

    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_generates_one_private_secret_per_data_dir_and_keeps_it(tmp_path):
    first = _import_settings(_env(tmp_path), "s.SECRET_KEY, s.DEBUG, s.SECRET_KEY_IS_GENERATED")
    second = _import_settings(_env(tmp_path), "s.SECRET_KEY")

    assert first.returncode == 0, first.stderr
    secret, debug, generated = first.stdout.split()
    assert (debug, generated) == ("True", "True")
    assert len(secret) >= 50
    assert second.stdout.strip() == secret
    assert stat.S_IMODE((tmp_path / "dev-secret-key").stat().st_mode) == 0o600


def test_an_unknown_wechat_mode_is_refused(tmp_path):
    result = _import_settings(_env(tmp_path, WELOOP_WECHAT_MODE="sandbox"))

    assert result.returncode != 0
    assert "WELOOP_WECHAT_MODE" in result.stderr


def test_database_url_and_redis_url_switch_backends(tmp_path):
    env = _env(tmp_path, DATABASE_URL="postgresql://u@db.example:5432/weloop", REDIS_URL="redis://cache:6379/0")

    result = _import_settings(env, "s.DATABASES['default']['ENGINE'], s.HUEY['huey_class'], s.DATABASE_IS_SQLITE")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "huey.RedisHuey", "False"]


def test_default_database_is_sqlite_in_wal_mode_under_the_data_dir(tmp_path):
    env = _env(tmp_path)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)

    result = _import_settings(
        env, "s.DATABASES['default']['NAME'], s.HUEY['huey_class'], 'journal_mode=WAL' in str(s.DATABASES)"
    )

    assert result.returncode == 0, result.stderr
    name, huey_class, wal = result.stdout.split()
    assert Path(name).parent == tmp_path.resolve()
    assert (huey_class, wal) == ("huey.SqliteHuey", "True")
