"""`make prod`: Tribune's production topology on this machine, in the foreground.

nginx (Debian's package, its own configuration generated into TRIBUNE_VAR_DIR/prod/,
not the system's service) in front of gunicorn (HTTP), two uvicorn processes (/ws/),
django-tasks-db's worker and the scheduler — the processes of deploy/Procfile —
against the PostgreSQL and Redis named by DATABASE_URL and REDIS_URL. Migrates and
collects the static files first, prints where it listens, and stops every process on
Ctrl+C.

    python -m config.prod run [--env-file FILE] [--port 8080] [--demo]
    python -m config.prod nginx-conf [--listen 80] [--server-name participer.ville.fr]
        [--tls-cert fullchain.pem --tls-key privkey.pem]
    python -m config.prod restore-check [--env-file FILE]

Django is never imported here: the settings refuse to load without what this script
checks first, and each process imports it on its own.
"""

import argparse
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
REQUIRED = ("DATABASE_URL", "REDIS_URL")
# The Procfile's fixed ports, for a rendered production configuration.
PRODUCTION_BACKENDS = {"gunicorn": 8000, "uvicorn": (8001, 8002)}


def read_env_file(path: Path) -> dict:
    """NAME=value lines (the format of systemd's EnvironmentFile and of
    deploy/tribune.env.example); comments and blank lines skipped."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip().isidentifier():
            raise SystemExit(
                f"{path}, ligne {number} : « {line} » n'est pas de la forme NOM=valeur."
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def missing_variables(env: dict) -> list[str]:
    return [name for name in REQUIRED if not env.get(name, "").strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# TLS as the ANSSI's TLS guide and Mozilla's "intermediate" profile agree: TLS 1.2 and
# 1.3 only, forward-secret AEAD suites, no session tickets (their key would undo forward
# secrecy until nginx restarts). HSTS is Django's (SECURE_HSTS_SECONDS), not nginx's.
TLS_LINES = """\
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:tribune_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;
"""  # noqa: E501 - one nginx directive per line

# Plain HTTP only sends people to HTTPS, and answers the certificate authority's
# challenges (certbot --webroot -w VAR_DIR/acme) so certificates renew without a stop.
REDIRECT_SERVER = """
server {{
    listen {port};
    server_name {server_name};
    server_tokens off;
    location /.well-known/acme-challenge/ {{
        root {var_dir}/acme;
    }}
    location / {{
        return 301 https://$host$request_uri;
    }}
}}
"""


def render_site(
    *,
    listen: str,
    server_name: str,
    var_dir: Path,
    gunicorn: str,
    uvicorn,
    tls: tuple[str, str] | None = None,
    http_port: str = "80",
) -> str:
    """deploy/nginx.conf.template with its @NAMES@ replaced; with `tls` (certificate and
    key files), HTTPS on `listen` and a server on `http_port` that redirects to it."""
    text = TEMPLATE.read_text()
    var_dir = Path(var_dir).resolve()
    tls_lines = redirect = ""
    if tls:
        cert, key = (str(Path(path).resolve()) for path in tls)
        listen = f"{listen} ssl http2"
        tls_lines = TLS_LINES.format(cert=cert, key=key)
        redirect = REDIRECT_SERVER.format(port=http_port, server_name=server_name, var_dir=var_dir)
    values = {
        "TLS": tls_lines.rstrip("\n"),
        "REDIRECT": redirect,
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "VAR_DIR": str(var_dir),
        "GUNICORN": gunicorn,
        "UVICORN_1": uvicorn[0],
        "UVICORN_2": uvicorn[1],
    }
    # The header's comments name the placeholders: only the directives are filled in.
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):
            for name, value in values.items():
                line = line.replace(f"@{name}@", value)
        lines.append(line)
    return "".join(lines)


def render_main(site: str, run_dir: Path) -> str:
    """A whole nginx.conf around the site, for an nginx run by hand in the foreground:
    every path absolute and under run_dir, logs on the terminal."""
    user = ""
    if os.geteuid() == 0:
        # Workers of a root master run as `nobody` by default, who may not read the
        # checkout: run them as the checkout's owner.
        user = f"user {pwd.getpwuid(ROOT.stat().st_uid).pw_name};\n"
    temp = "\n".join(
        f"    {kind}_temp_path {run_dir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"# Generated by config/prod.py from deploy/nginx.conf.template: do not edit.\n"
        f"{user}daemon off;\nworker_processes 1;\npid {run_dir / 'nginx.pid'};\n"
        f"error_log stderr warn;\n\nevents {{\n    worker_connections 1024;\n}}\n\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log /dev/stdout;\n    sendfile on;\n{temp}\n\n"
        + "\n".join("    " + line if line else "" for line in site.splitlines())
        + "\n}\n"
    )


def find_nginx(install: bool) -> str:
    found = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
    if found or not install:
        return found or ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(
            "nginx est introuvable : installez le paquet Debian (apt-get install -y nginx), "
            "puis relancez make prod."
        )
    print("nginx absent : installation du paquet Debian (apt-get install -y nginx)…", flush=True)
    command = ["apt-get", "install", "-y", "--no-install-recommends", "nginx"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True)
        subprocess.run(command, env=env, check=True)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def local_secret_key(var_dir: Path) -> str:
    """A key drawn once and kept in var/ (as the embedded configuration does), for a
    trial of the production topology on this machine without an environment file."""
    path = var_dir / "prod" / "secret_key"
    if path.exists() and len(path.read_text().strip()) >= 50:
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


def trial_environment(env: dict, var_dir: Path, port: int) -> tuple[dict, list[str]]:
    """What a production environment file must set, defaulted for a run on this
    machine in plain HTTP; returns the environment and what was defaulted."""
    defaults = {
        "DJANGO_SECRET_KEY": lambda: local_secret_key(var_dir),
        "DJANGO_ALLOWED_HOSTS": lambda: "127.0.0.1,localhost",
        # nginx speaks plain HTTP here (TLS is the real server's certificate).
        "DJANGO_SECURE_SSL_REDIRECT": lambda: "false",
        "DJANGO_SECURE_COOKIES": lambda: "false",
        "TRIBUNE_HOST": lambda: "127.0.0.1",
        "TRIBUNE_PORT": lambda: str(port),
    }
    defaulted = []
    env = dict(env)
    for name, value in defaults.items():
        if not env.get(name, "").strip():
            env[name] = value()
            defaulted.append(name)
    env.setdefault("DJANGO_DEBUG", "false")
    env["TRIBUNE_VAR_DIR"] = str(var_dir)
    return env, defaulted


# Connections each kind of process keeps in its psycopg pool (deploy/Procfile and the
# systemd units set the same): a sync gunicorn worker serves one request at a time, an
# ASGI process runs consumers concurrently. The environment file may set them for all
# processes at once. Sizing against max_connections: docs/operations.md.
POOLS = {
    "web": {"DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "2"},
    "ws": {"DATABASE_POOL_MIN": "2", "DATABASE_POOL_MAX": "10"},
    "worker": {"DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "2"},
}


class Process:
    """One child process, its output prefixed with its name on the terminal."""

    def __init__(self, name: str, command: list[str], port: int | None, *, pool="worker",
                 stop_signal=signal.SIGTERM):  # fmt: skip
        self.name, self.command, self.port, self.stop_signal = name, command, port, stop_signal
        self.defaults = POOLS[pool]
        self.popen: subprocess.Popen | None = None

    def start(self, env: dict) -> None:
        env = {**self.defaults, **env}
        # A session of its own: Ctrl+C reaches the launcher only, which stops each
        # process in order instead of all of them at once.
        self.popen = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._relay, daemon=True).start()

    def _relay(self) -> None:
        for line in self.popen.stdout:
            sys.stdout.write(f"{self.name:>9} | {line.decode(errors='replace')}")
            sys.stdout.flush()

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_listening(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} s'est arrêté au démarrage (voir ci-dessus).")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} n'écoute pas sur le port {self.port} après 60 s.")

    def stop(self, timeout: float = 20) -> None:
        if not self.running():
            return
        self.popen.send_signal(self.stop_signal)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


def topology(nginx: str, conf: Path, ports: dict, env: dict) -> list[Process]:
    """deploy/Procfile's processes with this machine's ports, nginx first to stop."""
    python = sys.executable
    uvicorn = [python, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
    ws_options = ["--ws", "websockets-sansio", "--lifespan", "off", "--no-server-header"]
    return [
        Process("nginx", [nginx, "-e", "stderr", "-c", str(conf), "-p", str(conf.parent)],
                ports["nginx"],
                stop_signal=signal.SIGQUIT),  # QUIT: nginx finishes the requests under way
        Process("web", [python, "-m", "gunicorn", "config.wsgi:application",
                        "--bind", f"127.0.0.1:{ports['gunicorn']}",
                        "--workers", env.get("WEB_CONCURRENCY", "2"),
                        "--timeout", "60", "--graceful-timeout", "20",
                        # One control socket per user by default: another gunicorn on this
                        # machine (tests, a second checkout) would take it over.
                        "--no-control-socket"], ports["gunicorn"],
                pool="web"),
        Process("ws1", [*uvicorn, "--port", str(ports["ws"][0]), *ws_options], ports["ws"][0],
                pool="ws"),
        Process("ws2", [*uvicorn, "--port", str(ports["ws"][1]), *ws_options], ports["ws"][1],
                pool="ws"),
        Process("worker", [python, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"],
                None),
        Process("scheduler", [python, "manage.py", "scheduler"], None),
    ]  # fmt: skip


def manage(env: dict, *arguments: str) -> None:
    print(f"→ manage.py {' '.join(arguments)}", flush=True)
    result = subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {arguments[0]} a échoué (code {result.returncode}).")


def run(args) -> int:
    env = dict(os.environ)
    if args.env_file:
        path = Path(args.env_file)
        if not path.is_file():
            raise SystemExit(f"Fichier d'environnement introuvable : {path}")
        # The file fills in; what the shell exports wins (as `VAR=… make prod`).
        env = {**read_env_file(path), **env}
    missing = missing_variables(env)
    if missing:
        print(
            "make prod lance Tribune comme en production, contre PostgreSQL et Redis : "
            f"{' et '.join(missing)} manque{'nt' if len(missing) > 1 else ''}.\n"
            "Définissez-les (ou passez un fichier : make prod ENV_FILE=/etc/tribune/tribune.env, "
            "modèle deploy/tribune.env.example), par exemple :\n"
            "  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tribune\n"
            "  export REDIS_URL=redis://127.0.0.1:6379/0",
            file=sys.stderr,
        )
        return 2
    var_dir = Path(env.get("TRIBUNE_VAR_DIR") or ROOT / "var").resolve()
    run_dir = var_dir / "prod"
    run_dir.mkdir(parents=True, exist_ok=True)
    port = args.port if port_is_free(args.port) else free_port()
    if port != args.port:
        print(f"Le port {args.port} est pris : nginx écoutera sur le port {port}.")
    env, defaulted = trial_environment(env, var_dir, port)
    if defaulted:
        print("Réglages d'essai sur cette machine (HTTP simple) : " + ", ".join(defaulted))
    nginx = find_nginx(install=True)

    manage(env, "preflight")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    if args.demo:
        manage(env, "load_demo")

    ports = {"nginx": port, "gunicorn": free_port(), "ws": (free_port(), free_port())}
    site = render_site(
        listen=f"127.0.0.1:{port}",
        server_name="127.0.0.1 localhost",
        var_dir=var_dir,
        gunicorn=f"127.0.0.1:{ports['gunicorn']}",
        uvicorn=[f"127.0.0.1:{each}" for each in ports["ws"]],
    )
    conf = run_dir / "nginx.conf"
    conf.write_text(render_main(site, run_dir))
    check = subprocess.run([nginx, "-t", "-q", "-e", "stderr", "-c", str(conf), "-p", str(run_dir)])
    if check.returncode != 0:
        raise SystemExit(f"nginx refuse la configuration générée {conf}.")

    processes = topology(nginx, conf, ports, env)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    status = 0
    try:
        # Backends first, nginx last: it never answers 502 to a first visitor.
        for process in [*processes[1:], processes[0]]:
            process.start(env)
        deadline = time.monotonic() + 60
        for process in [*processes[1:], processes[0]]:
            if process.port:
                process.wait_listening(deadline)
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/health/", timeout=30) as answer:
            health = answer.read().decode()
        print(
            f"\nTribune (production sur cette machine) : {base}/\n"
            f"  nginx {port} → gunicorn {ports['gunicorn']} (HTTP), "
            f"uvicorn {ports['ws'][0]} et {ports['ws'][1]} (/ws/), "
            "worker de tâches, planificateur\n"
            f"  configuration nginx : {conf}\n  /health/ : {health}\n"
            "Ctrl+C pour tout arrêter.\n",
            flush=True,
        )
        while not stopping.wait(0.5):
            stopped = [each.name for each in processes if not each.running()]
            if stopped:
                print(f"\n{', '.join(stopped)} s'est arrêté : arrêt de tous les processus.")
                status = 1
                break
    except (RuntimeError, OSError) as error:
        print(f"\nÉchec au démarrage : {error}", file=sys.stderr)
        status = 1
    finally:
        print("\nArrêt de nginx, gunicorn, uvicorn, du worker et du planificateur…", flush=True)
        for process in processes:
            process.stop()
        print("Tout est arrêté.", flush=True)
    return status


def nginx_conf(args) -> int:
    if bool(args.tls_cert) != bool(args.tls_key):
        print("--tls-cert et --tls-key vont ensemble : donnez les deux.", file=sys.stderr)
        return 2
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    print(
        render_site(
            listen=args.listen or ("443" if tls else "80"),
            tls=tls,
            server_name=args.server_name,
            var_dir=Path(args.var_dir),
            gunicorn=f"127.0.0.1:{PRODUCTION_BACKENDS['gunicorn']}",
            uvicorn=[f"127.0.0.1:{each}" for each in PRODUCTION_BACKENDS["uvicorn"]],
        ),
        end="",
    )
    return 0


def table_counts(cursor) -> dict[str, int]:
    """Exact row count of every table of the database (every schema but PostgreSQL's)."""
    cursor.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    )
    from psycopg import sql

    counts = {}
    for schema, table in cursor.fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}")
        cursor.execute(query.format(sql.Identifier(schema), sql.Identifier(table)))
        counts[f"{schema}.{table}" if schema != "public" else table] = cursor.fetchone()[0]
    return counts


def restore_check(args) -> int:
    """Back up the database (pg_dump), restore the backup into a scratch database, and
    compare the row count of every table; the scratch database is always dropped. The
    counts of the source are read in the very snapshot pg_dump saves, so a site in
    service (writes under way) compares exactly."""
    import tempfile

    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    env = {**read_env_file(Path(args.env_file)), **os.environ} if args.env_file else os.environ
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        print(
            "make restore-check sauvegarde et restaure la base PostgreSQL de DATABASE_URL, "
            "qui n'est pas définie (export DATABASE_URL=postgres://… ou ENV_FILE=…).",
            file=sys.stderr,
        )
        return 2
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            print(f"{tool} est introuvable : apt-get install postgresql-client.", file=sys.stderr)
            return 2
    source = conninfo_to_dict(url)
    scratch = f"{source['dbname']}_restore_check_{secrets.token_hex(4)}"[:63]
    admin = make_conninfo(**{**source, "dbname": "postgres"})
    target = make_conninfo(**{**source, "dbname": scratch})
    with tempfile.TemporaryDirectory(prefix="tribune-restore-") as folder:
        dump = Path(folder) / "tribune.dump"
        with psycopg.connect(make_conninfo(**source)) as connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                started = time.monotonic()
                subprocess.run(
                    ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                     f"--snapshot={snapshot}", f"--file={dump}", make_conninfo(**source)],
                    check=True,
                )  # fmt: skip
                before = table_counts(cursor)
        dumped = time.monotonic() - started
        print(f"Sauvegarde : {dump.stat().st_size / 1e6:.1f} Mo en {dumped:.1f} s (pg_dump -Fc)")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        try:
            started = time.monotonic()
            subprocess.run(
                ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                 f"--dbname={target}", str(dump)],
                check=True,
            )  # fmt: skip
            print(f"Restauration dans {scratch} : {time.monotonic() - started:.1f} s")
            with psycopg.connect(target) as connection, connection.cursor() as cursor:
                after = table_counts(cursor)
        finally:
            with psycopg.connect(admin, autocommit=True) as connection:
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                connection.execute(drop.format(sql.Identifier(scratch)))
    differences = [
        (table, before.get(table), after.get(table))
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]
    for table, was, now in differences:
        print(f"  {table} : {was} ligne(s) sauvegardée(s), {now} restaurée(s)")
    rows = sum(before.values())
    if differences:
        print(f"ÉCHEC : {len(differences)} table(s) sur {len(before)} diffèrent.")
        return 1
    print(f"Restauration vérifiée : {len(before)} tables, {rows} lignes, toutes identiques.")
    print(f"Base de contrôle {scratch} supprimée.")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config.prod", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="lancer toute la topologie au premier plan")
    start.add_argument("--env-file", help="fichier NOM=valeur (deploy/tribune.env.example)")
    start.add_argument("--port", type=int, default=8080, help="port de nginx (8080)")
    start.add_argument("--demo", action="store_true", help="charger la démo (idempotent)")
    start.set_defaults(handler=run)
    render = commands.add_parser("nginx-conf", help="imprimer le bloc server de nginx")
    render.add_argument("--listen", help="port (80, or 443 with --tls-cert)")
    render.add_argument("--tls-cert", help="certificat (fullchain.pem de Let's Encrypt)")
    render.add_argument("--tls-key", help="clé privée du certificat (privkey.pem)")
    render.add_argument("--server-name", default="participer.ville.fr")
    render.add_argument("--var-dir", default="/srv/tribune/var")
    render.set_defaults(handler=nginx_conf)
    check = commands.add_parser(
        "restore-check", help="sauvegarder, restaurer dans une base jetable, comparer"
    )
    check.add_argument("--env-file", help="fichier NOM=valeur (deploy/tribune.env.example)")
    check.set_defaults(handler=restore_check)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
