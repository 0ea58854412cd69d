"""makejinja plugin for this repository.

Fills in the defaults of optional cluster.yaml keys, derives a few flags the
templates test, and exposes helpers that read the local secret files
(age.key, cloudflare-tunnel.json, github-deploy.key, github-push-token.txt).
"""

import base64
import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import makejinja

PATCHES_DIR = Path("templates/config/talos/patches")


def _read(file_path: str) -> str:
    try:
        return Path(file_path).read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"{file_path} is missing; run `task init` first")


# -- filters ------------------------------------------------------------------

def basename(value: str) -> str:
    """File name without its last suffix: 'patches/a.yaml.j2' -> 'a.yaml'."""
    return Path(value).stem


def nthhost(value: str, index: int) -> str | bool:
    """The index-th address of a network, or False when it has no such address."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return str(network[index]) if 0 <= index < network.num_addresses else False


# -- functions ----------------------------------------------------------------

def age_key(kind: str, file_path: str = "age.key") -> str:
    """The public ('age1...') or private key stored in age.key."""
    patterns = {
        "public": r"# public key: (age1\w+)",
        "private": r"(AGE-SECRET-KEY-\w+)",
    }
    if kind not in patterns:
        raise ValueError("age_key() takes 'public' or 'private'")
    match = re.search(patterns[kind], _read(file_path))
    if match is None:
        raise ValueError(f"no {kind} key found in {file_path}")
    return match.group(1)


def _tunnel(file_path: str) -> dict[str, str]:
    try:
        return json.loads(_read(file_path))
    except json.JSONDecodeError as error:
        raise ValueError(f"{file_path} is not valid JSON: {error}")


def cloudflare_tunnel_id(file_path: str = "cloudflare-tunnel.json") -> str:
    return _tunnel(file_path)["TunnelID"]


def cloudflare_tunnel_secret(file_path: str = "cloudflare-tunnel.json") -> str:
    """The tunnel credentials in the base64 form cloudflared accepts as TUNNEL_TOKEN."""
    tunnel = _tunnel(file_path)
    token = {"a": tunnel["AccountTag"], "t": tunnel["TunnelID"], "s": tunnel["TunnelSecret"]}
    return base64.b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()


def github_deploy_key(file_path: str = "github-deploy.key") -> str:
    return _read(file_path)


def github_push_token(file_path: str = "github-push-token.txt") -> str:
    return _read(file_path)


def talos_patches(group: str) -> list[str]:
    """Patch templates for a node name or for 'global' / 'controller' / 'worker'."""
    folder = PATCHES_DIR / group
    return [str(path) for path in sorted(folder.glob("*.yaml.j2"))] if folder.is_dir() else []


# -- plugin -------------------------------------------------------------------

class Plugin(makejinja.plugin.Plugin):
    def __init__(self, data: dict[str, Any]):
        self._data = data

    def data(self) -> makejinja.plugin.Data:
        data = self._data

        # Defaults of the optional keys, so templates never test for absence.
        data.setdefault("node_default_gateway", nthhost(data.get("node_cidr", ""), 1))
        data.setdefault("node_dns_servers", ["1.1.1.1", "1.0.0.1"])
        data.setdefault("node_ntp_servers", ["162.159.200.1", "162.159.200.123"])
        data.setdefault("cluster_pod_cidr", "10.42.0.0/16")
        data.setdefault("cluster_svc_cidr", "10.43.0.0/16")
        data.setdefault("repository_branch", "main")
        data.setdefault("repository_visibility", "public")
        data.setdefault("cilium_loadbalancer_mode", "dsr")
        data.setdefault("cluster_name", "talos-cluster")
        data.setdefault("rustfs_enabled", False)
        data.setdefault("volsync_enabled", False)

        # BGP only when all three keys have a value; an empty one disables it.
        bgp_keys = ("cilium_bgp_router_addr", "cilium_bgp_router_asn", "cilium_bgp_node_asn")
        data.setdefault("cilium_bgp_enabled", all(data.get(key) for key in bgp_keys))

        # A peer-to-peer image cache only pays off with more than one node.
        data.setdefault("spegel_enabled", len(data.get("nodes") or []) > 1)

        # Talos Backup needs somewhere to upload: an endpoint and a bucket. An empty
        # or commented-out value leaves it off.
        backup_endpoint = data.get("backup_s3_endpoint") or ""
        data["talos_backup_enabled"] = bool(backup_endpoint and data.get("backup_s3_bucket"))
        # An in-cluster endpoint is RustFS: the backup waits for it and uses path-style URLs.
        data["backup_s3_internal"] = "svc.cluster.local" in backup_endpoint
        # The AWS SDK insists on a region; S3-compatible stores accept any.
        data.setdefault("backup_s3_region", "us-east-1")

        # The JWT SecurityPolicy is rendered only once an identity provider is named.
        data.setdefault("oidc_provider_name", "keycloak")
        data["oidc_enabled"] = bool(data.get("oidc_issuer_url") and data.get("oidc_jwks_uri"))

        return data

    def filters(self) -> makejinja.plugin.Filters:
        return [basename, nthhost]

    def functions(self) -> makejinja.plugin.Functions:
        return [
            age_key,
            cloudflare_tunnel_id,
            cloudflare_tunnel_secret,
            github_deploy_key,
            github_push_token,
            talos_patches,
        ]
