#!/usr/bin/env python3
"""Checks the objects `kubectl kustomize deploy/kubernetes[/mesh]` renders.

  check_manifests.py tls|mesh RENDERED.yaml

Both: a StatefulSet of one replica with a volumeClaimTemplate mounted at the data directory,
its settings from the ConfigMap by envFrom, the gRPC, HTTP and metrics ports, resource
requests, a non-root security context and the scrape annotations; the Services, the
PodDisruptionBudget and the NetworkPolicy. tls: the Secret d06d-tls mounted where the
ConfigMap's D06_TLS_CERT/KEY point and HTTPS probes on the metrics port. mesh: no Secret,
D06_NETWORK_ENCRYPTED and a grpc readiness probe on the gRPC port. Prints one line per
problem and exits 1 if there is any.
"""
import sys

import yaml

variant, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    objects = [o for o in yaml.safe_load_all(f) if o]
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


def of_kind(kind):
    return [o for o in objects if o.get("kind") == kind]


def one(kind):
    found = of_kind(kind)
    check(len(found) == 1, f"{kind}: want one, have {len(found)}")
    return found[0] if found else {}


sts = one("StatefulSet")
spec = sts.get("spec", {})
check(spec.get("replicas") == 1, "StatefulSet: replicas must be 1 (one writer per data directory)")
claims = [c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])]
check(claims == ["data"], f"StatefulSet: want the volumeClaimTemplate data, have {claims}")
pod = spec.get("template", {}).get("spec", {})
containers = pod.get("containers", [])
check(len(containers) == 1, "StatefulSet: want one container")
c = containers[0] if containers else {}
mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
check(mounts.get("data") == "/var/lib/d06", f"the volume data is not at /var/lib/d06: {mounts}")
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
check(ports == {"grpc": 50051, "http": 8080, "metrics": 9464}, f"container ports: {ports}")
requests = c.get("resources", {}).get("requests", {})
check("cpu" in requests and "memory" in requests, "container: no cpu and memory requests")
check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "pod: runAsNonRoot unset")
check(c.get("securityContext", {}).get("allowPrivilegeEscalation") is False,
      "container: allowPrivilegeEscalation not false")
annotations = spec.get("template", {}).get("metadata", {}).get("annotations", {})
want_scheme = "https" if variant == "tls" else "http"
check(annotations.get("prometheus.io/scrape") == "true"
      and annotations.get("prometheus.io/port") == "9464"
      and annotations.get("prometheus.io/path") == "/metrics"
      and annotations.get("prometheus.io/scheme") == want_scheme,
      f"pod: scrape annotations {annotations}")

# The ConfigMap the container reads, by its generated (hashed) name.
config_names = [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
configs = {o["metadata"]["name"]: o.get("data", {}) for o in of_kind("ConfigMap")}
check(len(config_names) == 1 and config_names[0] in configs,
      f"envFrom {config_names} does not name a rendered ConfigMap {sorted(configs)}")
config = configs.get(config_names[0], {}) if config_names else {}
check(all(k.startswith("D06_") for k in config), f"ConfigMap: a key is not D06_*: {config}")
check(config.get("D06_DATA_DIR") == "/var/lib/d06", "ConfigMap: D06_DATA_DIR is not the volume")
for key, port in (("D06_LISTEN", 50051), ("D06_HTTP_LISTEN", 8080), ("D06_METRICS_LISTEN", 9464)):
    check(config.get(key) == f"0.0.0.0:{port}", f"ConfigMap: {key} is not 0.0.0.0:{port}")


def probe(name):
    return c.get(name) or {}


secrets = {o["metadata"]["name"]: o for o in of_kind("Secret")}
if variant == "tls":
    check(set(secrets) == {"d06d-tls"}, f"want the Secret d06d-tls, have {sorted(secrets)}")
    tls = secrets.get("d06d-tls", {})
    check(tls.get("type") == "kubernetes.io/tls"
          and {"tls.crt", "tls.key"} <= set(tls.get("data", {})), "d06d-tls: not a TLS Secret")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    check(volumes.get("tls", {}).get("secret", {}).get("secretName") == "d06d-tls",
          "pod: the Secret d06d-tls is not a volume")
    check(mounts.get("tls") == "/etc/d06/tls", "the Secret is not mounted at /etc/d06/tls")
    check(config.get("D06_TLS_CERT") == "/etc/d06/tls/tls.crt"
          and config.get("D06_TLS_KEY") == "/etc/d06/tls/tls.key",
          "ConfigMap: D06_TLS_CERT/KEY do not point at the Secret's files")
    want = {"startupProbe": ("/livez", "HTTPS"), "livenessProbe": ("/livez", "HTTPS"),
            "readinessProbe": ("/readyz", "HTTPS")}
else:
    check(not secrets, f"mesh: no Secret expected, have {sorted(secrets)}")
    check(config.get("D06_NETWORK_ENCRYPTED") == "true", "mesh: D06_NETWORK_ENCRYPTED unset")
    check("D06_TLS_CERT" not in config, "mesh: D06_TLS_CERT set")
    ready = probe("readinessProbe")
    check(ready.get("grpc", {}).get("port") == 50051 and "httpGet" not in ready,
          f"mesh: readiness is not a grpc probe on 50051: {ready}")
    want = {"startupProbe": ("/livez", "HTTP"), "livenessProbe": ("/livez", "HTTP")}
for name, (path_, scheme) in want.items():
    get = probe(name).get("httpGet", {})
    check(get.get("path") == path_ and get.get("port") == "metrics"
          and get.get("scheme") == scheme and len(probe(name)) > 1,
          f"{name}: want {scheme} GET {path_} on the metrics port, have {probe(name)}")

services = {o["metadata"]["name"]: o["spec"] for o in of_kind("Service")}
check(set(services) == {"d06d", "d06d-headless"}, f"Services: {sorted(services)}")
check(services.get("d06d-headless", {}).get("clusterIP") == "None"
      and spec.get("serviceName") == "d06d-headless", "the headless Service does not govern")
client_ports = {p["name"]: p["port"] for p in services.get("d06d", {}).get("ports", [])}
check(client_ports == {"grpc": 50051, "http": 8080}, f"Service d06d ports: {client_ports}")

labels = spec.get("selector", {}).get("matchLabels", {})
pdb = one("PodDisruptionBudget").get("spec", {})
check(pdb.get("selector", {}).get("matchLabels") == labels, "PodDisruptionBudget: selector")
check(pdb.get("maxUnavailable") == 0, "PodDisruptionBudget: maxUnavailable is not 0")
policy = one("NetworkPolicy").get("spec", {})
check(policy.get("podSelector", {}).get("matchLabels") == labels, "NetworkPolicy: podSelector")
check(sorted(policy.get("policyTypes", [])) == ["Egress", "Ingress"],
      "NetworkPolicy: want Ingress and Egress")
opened = sorted(p["port"] for rule in policy.get("ingress", []) for p in rule.get("ports", []))
check(opened == ["grpc", "http", "metrics"], f"NetworkPolicy: ingress ports {opened}")

for p in problems:
    print(f"check_manifests ({variant}): {p}")
if problems:
    sys.exit(1)
print(f"check_manifests ({variant}): {len(objects)} objects ok")
