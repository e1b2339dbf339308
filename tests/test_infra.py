"""The deployment files are checked statically: no Docker engine runs here."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
from pathlib import Path

import click
import yaml

from nguon.cli import main
from tests.conftest import _unavailable

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
SETTINGS_VARIABLES = {
    name
    for source in (ROOT / "platform/nguon").rglob("*.py")
    for name in re.findall(r"NGUON_[A-Z_]+", source.read_text())
}


AWAITED_AT_MERGE: dict[str, str] = {}
"""Commands the deployment files run that other branches of issue 13 bring (by helper)."""


def _compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def _compose_commands() -> dict[str, list[str] | str]:
    return {
        name: service["command"]
        for name, service in _compose()["services"].items()
        if "command" in service
    }


def _nguon_invocations(command: str | list[str]) -> list[list[str]]:
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        words = shlex.split(words[2])
    calls: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            calls.append([])
        else:
            calls[-1].append(word)
    return [call[1:] for call in calls if call and call[0] == "nguon"]


def test_every_copied_path_exists() -> None:
    for line in (INFRA / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_compose_uses_only_settings_the_app_reads() -> None:
    for name, service in _compose()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith("NGUON_"):
                assert variable in SETTINGS_VARIABLES, f"{name}: {variable} is read by nothing"


def test_compose_runs_the_app_as_the_app_role_and_migrates_as_owner() -> None:
    services = _compose()["services"]
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["NGUON_DATABASE_URL"].startswith("postgresql://nguon_app:")
        assert "NGUON_MIGRATE_DATABASE_URL" not in environment  # the owner stays out
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert "nguon_owner" in services["migrate"]["environment"]["NGUON_MIGRATE_DATABASE_URL"]
    assert services["migrate"]["depends_on"]["setup"]["condition"] == (
        "service_completed_successfully"
    )


def test_nguon_commands_in_compose_and_kubernetes_exist_with_their_options() -> None:
    image_command = re.search(r"^CMD (\[.*\])$", (INFRA / "Dockerfile").read_text(), re.M)
    assert image_command, "the image has no CMD in exec form"
    calls = [
        call
        for command in (
            *_compose_commands().values(),
            *_kubernetes_commands().values(),
            json.loads(image_command.group(1)),
        )
        for call in _nguon_invocations(command)
    ]
    assert {tuple(call[:1]) for call in calls} >= {("db",), ("serve",), ("worker",)}
    for call in calls:
        if call[0] in AWAITED_AT_MERGE:
            assert call[0] not in main.commands, (
                f"nguon {call[0]} exists now: remove it from AWAITED_AT_MERGE"
            )
            continue
        group: click.Group = main
        words = list(call)
        while words and isinstance(group, click.Group) and words[0] in group.commands:
            group = group.commands[words.pop(0)]
        assert not isinstance(group, click.Group), f"not a command: nguon {' '.join(call)}"
        known = {opt for param in group.params for opt in getattr(param, "opts", [])}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"nguon {' '.join(call)}: unknown option {word}"


def test_image_points_the_rules_root_at_the_copied_packages() -> None:
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert "COPY rules /srv/nguon/rules" in dockerfile
    assert "ENV NGUON_RULES_ROOT=/srv/nguon/rules" in dockerfile
    assert "NGUON_RULES_ROOT" in SETTINGS_VARIABLES


# --- Kubernetes (infra/kubernetes), HAProxy and the image's build context ---

KUBERNETES = INFRA / "kubernetes"
KUBERNETES_VERSION = "1.30.0"
"""The oldest Kubernetes the manifests are validated against (kubernetes-validate ships it)."""
CNPG_SCHEMA = ROOT / "tests" / "infra_schemas" / "cnpg-cluster-v1.json"
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|KEY|TOKEN")
REQUIRED = {
    "web": {"NGUON_DATABASE_URL", "NGUON_SECRET_KEY", "NGUON_REDIS_URL"},
    "worker": {"NGUON_DATABASE_URL", "NGUON_SECRET_KEY", "NGUON_REDIS_URL"},
    "migrate": {"NGUON_MIGRATE_DATABASE_URL", "NGUON_SECRET_KEY"},
}
"""What each kind of process needs on Postgres: the URL it connects as, the key, and for
the servers the shared session store (else each process would keep its own sessions)."""
KUBERNETES_WORKLOADS = {"web": "nguon-web", "worker": "nguon-worker", "migrate": "nguon-migrate"}


def _manifests() -> list[dict]:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    return [
        document
        for name in kustomization["resources"]
        for document in yaml.safe_load_all((KUBERNETES / name).read_text())
        if document
    ]


def _of_kind(kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in _manifests() if m["kind"] == kind}


def _pod_spec(name: str) -> dict:
    workloads = {**_of_kind("Deployment"), **_of_kind("Job")}
    return workloads[name]["spec"]["template"]["spec"]


def _kubernetes_commands() -> dict[str, list[str]]:
    return {
        kind: _pod_spec(name)["containers"][0]["command"]
        for kind, name in KUBERNETES_WORKLOADS.items()
    }


def _kubernetes_environment(kind: str) -> dict[str, dict]:
    """Each variable of the workload's container: its ``value`` or ``valueFrom``."""
    container = _pod_spec(KUBERNETES_WORKLOADS[kind])["containers"][0]
    config_maps = _of_kind("ConfigMap")
    variables: dict[str, dict] = {}
    for source in container.get("envFrom", []):
        data = config_maps[source["configMapRef"]["name"]]["data"]
        variables.update({name: {"value": value} for name, value in data.items()})
    for variable in container.get("env", []):
        variables[variable["name"]] = {k: v for k, v in variable.items() if k != "name"}
    return variables


def test_every_kubernetes_file_is_a_listed_resource_and_parses() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    files = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    kinds = {m["kind"] for m in _manifests()}
    assert kinds >= {
        "Deployment",
        "Job",
        "Cluster",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
    }
    assert "Secret" not in kinds  # made by the operator (README.md), never committed


def test_manifests_validate_against_the_kubernetes_schemas() -> None:
    import kubernetes_validate

    for manifest in _manifests():
        if manifest["apiVersion"].startswith("postgresql.cnpg.io/"):
            continue
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def _closed(schema: object) -> object:
    """A CRD schema that refuses unknown fields, as ``kubectl apply --validate=strict``."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: _closed(value) for key, value in schema.items()}
    if (
        "properties" in closed
        and "additionalProperties" not in closed
        and not closed.get("x-kubernetes-preserve-unknown-fields")
    ):
        closed["additionalProperties"] = False
    return closed


def test_the_postgres_cluster_validates_against_cloudnative_pg_and_has_a_replica() -> None:
    import jsonschema

    [cluster] = _of_kind("Cluster").values()
    schema = _closed(json.loads(CNPG_SCHEMA.read_text()))
    jsonschema.validate({k: v for k, v in cluster.items()}, schema)  # type: ignore[arg-type]
    spec = cluster["spec"]
    assert spec["instances"] >= 2
    assert spec["bootstrap"]["initdb"]["owner"] == "nguon_owner"
    [app_role] = [r for r in spec["managed"]["roles"] if r["name"] == "nguon_app"]
    assert app_role["bypassrls"] is False and app_role["superuser"] is False


def test_compose_and_kubernetes_run_the_same_commands_with_the_same_settings() -> None:
    compose = _compose()["services"]
    kubernetes = _kubernetes_commands()
    for kind in ("web", "worker", "migrate"):
        compose_words = compose[kind]["command"]
        assert compose_words[:2] == kubernetes[kind][:2], kind
        compose_names = {n for n in compose[kind]["environment"] if n.startswith("NGUON_")}
        kubernetes_names = {n for n in _kubernetes_environment(kind) if n.startswith("NGUON_")}
        assert compose_names == kubernetes_names, kind
        assert REQUIRED[kind] <= compose_names, kind
        assert compose_names <= SETTINGS_VARIABLES, kind
    images = {
        c["image"] for name in KUBERNETES_WORKLOADS.values() for c in _pod_spec(name)["containers"]
    }
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert images == {image["name"] for image in kustomization["images"]} == {"nguon"}
    built = {s["image"] for s in compose.values() if "build" in s}
    assert built == {"nguon:latest"}
    assert {n for n, s in compose.items() if "build" in s} >= {"web", "worker", "migrate"}


def test_required_settings_are_the_ones_the_app_reads() -> None:
    settings = (ROOT / "platform/nguon/settings.py").read_text()
    for names in REQUIRED.values():
        for name in names:
            assert name in settings, f"{name} is not read by nguon.settings"


def test_no_secret_is_written_into_the_deployment_files() -> None:
    compose = _compose()
    for name, service in compose["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            value = str(value)
            if SECRET_NAMES.search(variable):
                assert value.startswith("${") and value.endswith("}"), f"{name}: {variable}"
            credentials = re.search(r"://[^/@:]+:([^@]+)@", value)
            if credentials:
                assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*)?\}", credentials.group(1)), (
                    f"{name}: {variable} has a literal password"
                )
        command = service.get("command")
        assert not isinstance(command, str), f"{name}: a shell string; use a list"
    for kind in KUBERNETES_WORKLOADS:
        variables = _kubernetes_environment(kind)
        from_secrets = {n for n, v in variables.items() if "secretKeyRef" in v.get("valueFrom", {})}
        for variable, source in variables.items():
            if SECRET_NAMES.search(variable):
                assert variable in from_secrets, f"{kind}: {variable} is not from a Secret"
            credentials = re.search(r"://[^/@:]+:([^@]+)@", str(source.get("value", "")))
            if credentials:
                assert re.fullmatch(r"\$\(([A-Z_]+)\)", credentials.group(1)), variable
                assert credentials.group(1)[2:-1] in from_secrets, variable
    for path in [*KUBERNETES.glob("*.yaml"), INFRA / "haproxy.cfg", INFRA / "compose.yaml"]:
        text = path.read_text()
        assert "BEGIN PRIVATE KEY" not in text and not re.search(r"password\s*[:=]\s*\w", text)


def _app_routes() -> dict[str, set[str]]:
    from nguon.app import create_app
    from nguon.db.engine import make_engine
    from tests.http.conftest import app_settings

    app = create_app(app_settings(), engine=make_engine("sqlite:///unused-never-opened.sqlite"))
    return {route.path: set(getattr(route, "methods", ())) for route in app.routes}


def test_probes_and_health_checks_ask_routes_the_app_serves() -> None:
    routes = _app_routes()
    web = _pod_spec("nguon-web")["containers"][0]
    probed = [
        web[probe]["httpGet"]["path"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe")
        if "httpGet" in web.get(probe, {})
    ]
    haproxy = (INFRA / "haproxy.cfg").read_text()
    probed += re.findall(r"option httpchk GET (\S+)", haproxy)
    dockerfile = (INFRA / "Dockerfile").read_text()
    probed += re.findall(r"http://127\.0\.0\.1:8000(/[\w/]*)", dockerfile)
    assert "/health" in probed and len(probed) >= 4
    for path in probed:
        assert "GET" in routes.get(path, set()), f"{path} is not a GET route of the app"
    ports = {p["name"] for p in web["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        port = next(iter(web[probe].values()))["port"]
        assert port in ports, probe


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def test_selectors_of_services_autoscalers_and_budgets_find_their_pods() -> None:
    deployments = _of_kind("Deployment")
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in deployments.items()}
    for name, deployment in deployments.items():
        assert _matches(deployment["spec"]["selector"]["matchLabels"], pod_labels[name]), name
    for kind in ("PodDisruptionBudget",):
        for name, budget in _of_kind(kind).items():
            selector = budget["spec"]["selector"]["matchLabels"]
            found = [d for d, labels in pod_labels.items() if _matches(selector, labels)]
            assert len(found) == 1, f"{kind} {name} selects {found}"
    for name, service in _of_kind("Service").items():
        found = [
            d for d, labels in pod_labels.items() if _matches(service["spec"]["selector"], labels)
        ]
        assert len(found) == 1, f"Service {name} selects {found}"
        container_ports = {
            p["name"] for c in _pod_spec(found[0])["containers"] for p in c.get("ports", [])
        }
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports, name
    for name, autoscaler in _of_kind("HorizontalPodAutoscaler").items():
        target = autoscaler["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments, name
        replicas = deployments[target["name"]]["spec"]["replicas"]
        assert autoscaler["spec"]["minReplicas"] == replicas, name
    services = _of_kind("Service")
    for ingress in _of_kind("Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports


def test_pods_run_as_a_numeric_non_root_user_with_limits() -> None:
    dockerfile = (INFRA / "Dockerfile").read_text()
    image_user = re.search(r"^USER (\d+)", dockerfile, re.MULTILINE)
    assert image_user, "the image must name a numeric user"
    for name in (*_of_kind("Deployment"), *_of_kind("Job")):
        pod = _pod_spec(name)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["requests"] and container["resources"]["limits"], name
        if pod["containers"][0]["image"] == "nguon":
            assert str(pod["securityContext"]["runAsUser"]) == image_user.group(1), name


def test_haproxy_configuration_is_valid() -> None:
    haproxy = Path("/usr/sbin/haproxy")
    if not haproxy.exists():
        _unavailable("the Debian package haproxy is not installed", "HAProxy")
    checked = subprocess.run(
        [str(haproxy), "-c", "-f", str(INFRA / "haproxy.cfg")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    compose = _compose()["services"]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in compose["proxy"]["volumes"]
    assert re.search(r"server-template web \d+ web:8000 check", (INFRA / "haproxy.cfg").read_text())
    assert int(str(compose["web"]["deploy"]["replicas"]).split(":-")[-1].rstrip("}")) >= 2


def test_the_build_context_leaves_out_the_venv_git_secrets_and_databases() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def excluded(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, pattern.removeprefix("**/"))
            or fnmatch.fnmatch(path, pattern)
            or any(fnmatch.fnmatch(part, pattern.removeprefix("**/")) for part in Path(path).parts)
            for pattern in ignored
        )

    for path in (".venv", ".git", ".nguon/secret_key", "nguon.sqlite", "platform/x/__pycache__"):
        assert excluded(path), f"{path} would be sent to the image build"
    for line in (INFRA / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert not excluded(source), f"the Dockerfile copies {source}, which is ignored"
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert "COPY plugins ./plugins" in dockerfile and "--wheel-dir /wheels plugins/*/" in dockerfile
    for folder in (ROOT / "plugins").iterdir():
        if folder.is_dir():  # every folder is wheeled: each must be a package
            assert (folder / "pyproject.toml").exists(), f"{folder.name} has no pyproject.toml"
