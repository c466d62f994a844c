"""gunicorn settings for the safehub web processes (production).

    gunicorn -c deploy/gunicorn.conf.py 'services.app:create_app()'

No ``preload_app``: each worker builds the app after the fork, so database pools, the
projection nudger's thread and locks are never copied from the master half-used. Command
line flags (``--bind``, ``--workers``) override what is set here.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

from services.runtime.logs import logconfig_dict as json_logging

# Where to listen: nginx (deploy/nginx-safehub.conf) proxies to this address.
bind = os.environ.get("SAFEHUB_BIND", "127.0.0.1:8000")
# The classic rule of thumb: (2 x cores) + 1 processes, each with a few threads. Requests
# wait on PostgreSQL, not on the CPU, so threads are cheap; keep
# workers x threads x (POSTGRES_POOL_SIZE + MAX_OVERFLOW) under PostgreSQL's max_connections.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("SAFEHUB_WEB_THREADS", "4"))
preload_app = False
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 5000  # recycle a worker now and then (a slow leak never becomes an outage)
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")  # nginx on the same host
limit_request_line = 8190
control_socket_disable = True  # gunicorn >= 24: no shared $HOME/.gunicorn/gunicorn.ctl between instances

# Logs: JSON lines on stderr (journald / docker collect them). gunicorn's own access log is
# off: the app logs one line per request with its request id and the URL rule, never the
# query string (a look-up by PESEL travels in it).
accesslog = None
errorlog = "-"
logconfig_dict = json_logging("web", os.environ.get("SAFEHUB_LOG_LEVEL", "INFO"))


def on_starting(server):
    """Start with an empty Prometheus multiprocess directory (old workers' files would count twice)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """Tell prometheus-client a worker is gone, so its live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
