#!/bin/sh
# Multi-host test of the gloo communicator: two network namespaces ("hosts") joined by a veth pair,
# one rank in each, launched with RANK/WORLD_SIZE/MASTER_ADDR like a PyTorchJob. Phase 1 runs the
# collectives; phase 2 takes rank 1's link down mid-run and expects both ranks to fail retryably.
# Needs root and iproute2; exits 77 (ctest: skipped) otherwise.
set -u
bin=$1
[ "$(id -u)" = 0 ] && command -v ip >/dev/null || { echo "skipped: needs root and iproute2"; exit 77; }
ns0=ftdist$$a ns1=ftdist$$b if0=ftv$$a if1=ftv$$b
cleanup() { ip netns del "$ns0" 2>/dev/null; ip netns del "$ns1" 2>/dev/null; }
trap cleanup EXIT
if ! ip netns add "$ns0" || ! ip netns add "$ns1" ||
   ! ip link add "$if0" netns "$ns0" type veth peer name "$if1" netns "$ns1"; then
  echo "skipped: cannot create network namespaces here"; exit 77
fi
ip -n "$ns0" addr add 10.231.0.1/24 dev "$if0" && ip -n "$ns1" addr add 10.231.0.2/24 dev "$if1" &&
  ip -n "$ns0" link set "$if0" up && ip -n "$ns1" link set "$if1" up &&
  ip -n "$ns0" link set lo up && ip -n "$ns1" link set lo up || exit 1

# run_rank MODE RANK NAMESPACE: one rank in the background.
run_rank() {
  ip netns exec "$3" env FT_DIST_NETNS_MODE="$1" RANK="$2" WORLD_SIZE=2 MASTER_ADDR=10.231.0.1 \
    MASTER_PORT=29517 timeout 60 "$bin" --gtest_filter='DistNetns.*' --gtest_brief=1 &
}

status=0
run_rank collectives 0 "$ns0"; p0=$!
run_rank collectives 1 "$ns1"; p1=$!
wait "$p0" || { echo "FAIL: rank 0 collectives"; status=1; }
wait "$p1" || { echo "FAIL: rank 1 collectives"; status=1; }

run_rank partition 0 "$ns0"; p0=$!
run_rank partition 1 "$ns1"; p1=$!
sleep 2
ip -n "$ns1" link set "$if1" down
wait "$p0" || { echo "FAIL: rank 0 after link loss"; status=1; }
wait "$p1" || { echo "FAIL: rank 1 after link loss"; status=1; }
exit $status
