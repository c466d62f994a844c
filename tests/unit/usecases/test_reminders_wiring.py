"""Deadline reminders run from Celery beat in production and from the CLI (or the embedded loop)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from services.config import Settings
from services.usecases.deadlines import REMIND_TASK


def test_beat_schedules_the_reminders_and_a_worker_serves_them(tmp_path):
    from workers.celery_app import create_celery

    app = create_celery(Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path), "SAFEHUB_REMIND_SECONDS": "60"}))
    entry = app.conf.beat_schedule["raise-deadline-reminders"]
    assert entry == {"task": REMIND_TASK, "schedule": 60.0}
    import workers.tasks

    assert workers.tasks.remind_deadlines.name == REMIND_TASK


def test_the_cli_raises_reminders_and_is_safe_to_repeat(tmp_path, monkeypatch):
    from services.cli import main

    monkeypatch.setenv("SAFEHUB_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["deadlines", "remind", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output.strip().splitlines()[-1]) == {"due_soon": 0, "overdue": 0}
