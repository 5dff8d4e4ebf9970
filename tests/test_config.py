"""Configuration from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz_app.config import ConfigError, load_config


def test_development_secret_key_is_generated_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUIZ_SECRET_KEY", raising=False)
    monkeypatch.delenv("QUIZ_ENV", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    second = load_config(tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_production_requires_a_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZ_ENV", "production")
    monkeypatch.delenv("QUIZ_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="QUIZ_SECRET_KEY"):
        load_config(tmp_path)
    monkeypatch.setenv("QUIZ_SECRET_KEY", "x" * 40)
    config = load_config(tmp_path)
    assert config["SECRET_KEY"] == "x" * 40
    assert config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_database_defaults_to_sqlite_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUIZ_DATABASE_URL", raising=False)
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'quiz.db'}"
    monkeypatch.setenv("QUIZ_DATABASE_URL", "postgresql+psycopg://u@db/quiz")
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/quiz"


def test_bad_number_in_environment_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIZ_MAX_UPLOAD_MB", "ten")
    with pytest.raises(ConfigError, match="QUIZ_MAX_UPLOAD_MB"):
        load_config(tmp_path)


def test_postgresql_plans_each_statement_with_its_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No server-side prepared statements on PostgreSQL (generic plans misjudge the branch
    filters of the statistics); SQLite needs no such option."""
    monkeypatch.setenv("QUIZ_DATABASE_URL", "postgresql+psycopg://u@db/quiz")
    options = load_config(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"prepare_threshold": None}
    assert options["pool_pre_ping"] is False  # a round trip per checkout; opt in below
    monkeypatch.setenv("QUIZ_DB_PRE_PING", "1")
    assert load_config(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    monkeypatch.delenv("QUIZ_DATABASE_URL")
    assert "connect_args" not in load_config(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]


def test_production_refuses_a_short_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIZ_ENV", "production")
    monkeypatch.setenv("QUIZ_SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigError, match="不少于32字节（当前31字节）"):
        load_config(tmp_path)
    monkeypatch.setenv("QUIZ_SECRET_KEY", "密" * 11)  # 33 bytes in UTF-8
    assert load_config(tmp_path)["SECRET_KEY"] == "密" * 11
    monkeypatch.setenv("QUIZ_ENV", "development")
    monkeypatch.setenv("QUIZ_SECRET_KEY", "short")  # development accepts what it is given
    assert load_config(tmp_path)["SECRET_KEY"] == "short"
