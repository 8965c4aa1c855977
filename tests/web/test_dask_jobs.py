"""A solve job on a configured Dask cluster (RAQUAN_DASK_SCHEDULER), and without one when it does not answer."""

from __future__ import annotations

import socket

import pytest

from scheduler.runners import DaskRunner
from tests.web.conftest import login
from web import create_app


def _submit_and_wait(client, app) -> dict:
    """A solve from scratch (a repair of the published roster solves its clusters one after another in the
    job's process, each from the roster the one before left)."""
    with app.app_context():
        job_id = app.extensions["raquan_jobs"].submit(8, "dieuphoi", fresh=True)
    assert app.extensions["raquan_jobs"].wait(job_id, timeout=120)
    login(client, "dieuphoi")
    return client.get(f"/api/jobs/{job_id}").get_json()


# Where the cluster solves run does not depend on the database: SQLite only.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@ON_SQLITE
def test_a_solve_job_runs_its_cluster_solves_on_the_configured_dask_cluster(client, loaded_app):
    with DaskRunner.local(1) as runner:
        loaded_app.config["RAQUAN_DASK_SCHEDULER"] = runner.client.scheduler.address
        job = _submit_and_wait(client, loaded_app)
        prefixes = runner.client.run_on_scheduler(
            lambda dask_scheduler: sorted({str(t[0]).split("-")[0] for t in dask_scheduler.transition_log})
        )
    assert job["status"] == "done", job
    assert "solve_cluster" in prefixes  # the job's clusters were tasks of that cluster


@ON_SQLITE
def test_a_solve_job_without_an_answering_dask_cluster_solves_in_its_own_processes(client, loaded_app):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    loaded_app.config["RAQUAN_DASK_SCHEDULER"] = f"tcp://127.0.0.1:{port}"
    job = _submit_and_wait(client, loaded_app)
    assert job["status"] == "done", job


def test_a_dask_address_that_is_not_one_is_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("RAQUAN_DASK_SCHEDULER", "127.0.0.1:8786")
    with pytest.raises(ValueError, match="RAQUAN_DASK_SCHEDULER"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}, data_dir=tmp_path / "data")
    monkeypatch.setenv("RAQUAN_DASK_SCHEDULER", "tcp://127.0.0.1:8786")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'y.db'}"}, data_dir=tmp_path / "data2")
    assert app.config["RAQUAN_DASK_SCHEDULER"] == "tcp://127.0.0.1:8786"
