#!/bin/sh
# Entry point of the enclave image: bridges vsock to the loopback channel the Node runtime
# serves, and KMS's TLS through the parent's vsock-proxy, then runs the runtime. Nothing here
# carries secrets; TLS to KMS ends inside the enclave (the parent relays bytes only).
set -eu

# An enclave starts with its loopback interface down.
ip link set lo up

CHANNEL_VSOCK_PORT="${AUDATA_CHANNEL_VSOCK_PORT:-5000}"
KMS_VSOCK_PORT="${AUDATA_KMS_VSOCK_PORT:-8000}"
KMS_HOST="kms.${AUDATA_KMS_REGION}.amazonaws.com"

# Host -> enclave: the parent connects to vsock (CID of this enclave, port 5000); socat hands
# each connection to the runtime on 127.0.0.1:7100. The runtime's frame checks apply unchanged.
socat "VSOCK-LISTEN:${CHANNEL_VSOCK_PORT},fork,reuseaddr" TCP:127.0.0.1:7100 &

# Enclave -> KMS: the name resolves to loopback, socat carries the TLS bytes to the parent
# (CID 3), where `vsock-proxy 8000 kms.<region>.amazonaws.com 443` forwards them.
echo "127.0.0.1 ${KMS_HOST}" >> /etc/hosts
socat "TCP-LISTEN:443,bind=127.0.0.1,fork,reuseaddr" "VSOCK-CONNECT:3:${KMS_VSOCK_PORT}" &

export AUDATA_KMS_ENDPOINT="https://${KMS_HOST}"
exec node /app/enclave.mjs
