#!/usr/bin/env bash
# System test (issue 12, decision 0012): real `barrel-p2p node` processes, each in its own
# network namespace on one bridge, cut into two groups by nftables drops and healed. The
# overlay (active views, read through each node's admin endpoint) must be one component
# before the cut, split during it and one component again after the heal. The registries
# must then be identical on every node (`GET /v1/services`): each node registers a service
# at start, and during the cut one late node starts on each side, registering a service of
# its own and the same name "both-sides" (two instances once healed). Only bounded waits, no
# timing thresholds; the times are printed for information.
#
#   netns_remerge_test.sh BARREL_P2P SIZE_A SIZE_B [CUT_SECONDS]
#
# Needs root (CAP_NET_ADMIN), `ip` and `nft`; makes and removes everything it uses (namespaces
# named barrel-rm-<pid>-*). Exits 77 (CTest: skipped) with the reason when it cannot.
set -uo pipefail
cli=$1
size_a=$2
size_b=$3
cut_seconds=${4:-10}
n=$((size_a + size_b))
total=$((n + 2))  # node n joins side A during the cut, node n+1 side B
running=$n        # nodes started so far (views and components look at these)
skip() {
  echo "netns remerge: SKIPPED: $1"
  exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (CAP_NET_ADMIN) to make network namespaces"
command -v ip >/dev/null || skip "ip (iproute2) not found"
command -v nft >/dev/null || skip "nft (nftables) not found"
[ "$n" -le 200 ] || skip "at most 200 nodes (one /24)"

prefix="barrel-rm-$$"
hub="$prefix-hub"
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  for i in $(seq 0 $((total - 1))); do ip netns del "$prefix-$i" 2>/dev/null; done
  ip netns del "$hub" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

fail() {
  echo "netns remerge ($size_a | $size_b): $1"
  views_all
  for i in $(seq 0 $((running - 1))); do
    echo "--- n$i: $(views "$i")"
    tail -n 15 "$dir/n$i.log" 2>/dev/null
  done
  exit 1
}

ip netns add "$hub" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
ip -n "$hub" link add br0 type bridge || skip "cannot create a bridge in a namespace"
ip -n "$hub" link set br0 up
address() { echo "10.77.0.$(($1 + 1))"; }
for i in $(seq 0 $((total - 1))); do
  ns="$prefix-$i"
  ip netns add "$ns" || fail "ip netns add $ns"
  ip -n "$hub" link add "p$i" type veth peer name e0 netns "$ns" || fail "veth for $ns"
  ip -n "$hub" link set "p$i" master br0 up
  ip -n "$ns" addr add "$(address "$i")/24" dev e0
  ip -n "$ns" link set e0 up
  ip -n "$ns" link set lo up
done

# Node i: group 0 is n0..n(size_a-1), group 1 the rest. Everyone joins through n0.
group_of() {
  if [ "$1" -lt "$size_a" ] || [ "$1" = "$n" ]; then echo 0; else echo 1; fi
}
start_node() {  # start_node I CONTACT SERVICE...: node nI, joining through node CONTACT
  local i=$1 contact=$2 contacts="" service args=()
  shift 2
  [ "$i" != "$contact" ] && contacts="[membership]\ncontacts = [\"$(address "$contact"):4000\"]\n"
  printf '[node]\nname = "n%s"\ndata_dir = "%s"\nlisten = "%s:4000"\n[cluster]\nname = "netns-remerge"\n%b' \
    "$i" "$dir/n$i" "$(address "$i")" "$contacts" >"$dir/n$i.toml"
  for service in "$@"; do args+=(--service "$service"); done
  ip netns exec "$prefix-$i" "$cli" node --config "$dir/n$i.toml" --admin 127.0.0.1:0 \
    --admin-file "$dir/n$i.admin" "${args[@]}" >"$dir/n$i.log" 2>&1 &
  pids+=($!)
}
wait_admin() {
  for _ in $(seq 300); do
    [ -s "$dir/n$1.admin" ] && return 0
    sleep 0.1
  done
  fail "n$1 has no admin endpoint"
}
for i in $(seq 0 $((n - 1))); do
  start_node "$i" 0 "svc-n$i"
  [ "$i" = 0 ] && sleep 0.5
done

fetch_all() {  # fetch_all PATH COUNT: GET PATH from nodes 0..COUNT-1 at once, into $dir/got<i>
  local i
  for i in $(seq 0 $(($2 - 1))); do
    : >"$dir/got$i"
    [ -s "$dir/n$i.admin" ] || continue
    ip netns exec "$prefix-$i" curl -s -m 5 -o "$dir/got$i" "http://$(cat "$dir/n$i.admin")$1" &
  done
  wait_polls
}
# parse_all SCRIPT COUNT: one python3 run turns each $dir/got<i> into a line in $dir/line<i>
# ("?" when the answer is missing or not JSON); SCRIPT maps the JSON `j` to the line.
parse_all() {
  python3 -c 'import json, sys
for i in range(int(sys.argv[3])):
    try:
        with open(f"{sys.argv[1]}/got{i}") as f:
            j = json.load(f)
        line = eval(sys.argv[2])
    except (OSError, ValueError, KeyError, TypeError):
        line = "?"
    with open(f"{sys.argv[1]}/line{i}", "w") as f:
        print(line, file=f)' "$dir" "$1" "$2"
}
views_all() {  # each running node's active view as "name name ..." in $dir/line<i>
  # ?cluster=0: this node's views only, without waiting for its peers' reports.
  fetch_all "/v1/members?cluster=0" "$running"
  parse_all '" ".join(peer["name"] for peer in j["active"])' "$running"
}
views() {  # views I: from the last views_all
  [ -s "$dir/line$1" ] && cat "$dir/line$1"
}

# components: connected components of the active-view graph (links taken both ways).
wait_polls() {  # waits for the background polls (not the nodes, which are background jobs too)
  local job
  for job in $(jobs -p); do
    case " ${pids[*]} " in *" $job "*) ;; *) wait "$job" ;; esac
  done
}
declare -A parent
find_root() {
  local x=$1
  while [ "${parent[$x]}" != "$x" ]; do x=${parent[$x]}; done
  echo "$x"
}
components() {
  views_all
  for i in $(seq 0 $((running - 1))); do parent["n$i"]="n$i"; done
  local count=$running
  for i in $(seq 0 $((running - 1))); do
    for peer in $(views "$i"); do
      [ -n "${parent[$peer]+set}" ] || continue
      local a b
      a=$(find_root "n$i")
      b=$(find_root "$peer")
      if [ "$a" != "$b" ]; then
        parent[$a]=$b
        count=$((count - 1))
      fi
    done
  done
  echo "$count"
}

# wait_components OP COUNT SECONDS WHAT: until components OP COUNT, polling, at most SECONDS.
wait_components() {
  local start=$SECONDS c
  while [ $((SECONDS - start)) -lt "$3" ]; do
    c=$(components)
    if [ "$c" "$1" "$2" ]; then
      echo "netns remerge ($size_a | $size_b): $4 after $((SECONDS - start)) s ($c components)"
      return 0
    fi
    sleep 1
  done
  fail "not $4 within $3 s (components: $(components))"
}

for i in $(seq 0 $((n - 1))); do wait_admin "$i"; done
wait_components -eq 1 120 "one component"

# The cut: in every namespace, drop all traffic to and from the other group.
for i in $(seq 0 $((total - 1))); do
  others=""
  for j in $(seq 0 $((total - 1))); do
    [ "$(group_of "$i")" != "$(group_of "$j")" ] && others="$others$(address "$j"), "
  done
  printf 'table inet barrel_cut {\n  chain in { type filter hook input priority 0; ip saddr { %s } drop; }\n  chain out { type filter hook output priority 0; ip daddr { %s } drop; }\n}\n' \
    "${others%, }" "${others%, }" >"$dir/cut$i.nft"
  ip netns exec "$prefix-$i" nft -f "$dir/cut$i.nft" || skip "nft cannot load rules in a namespace"
done
wait_components -ge 2 120 "split by the cut"
# One late node on each side, registering a service of its own and the same shared name.
start_node "$n" 0 "late-a" "both-sides"
start_node $((n + 1)) "$size_a" "late-b" "both-sides"
wait_admin "$n"
wait_admin $((n + 1))
running=$total
sleep "$cut_seconds"  # each side fills its views while cut off (the measured case of issue 12)
[ "$(components)" -ge 2 ] || fail "the cut did not hold"

for i in $(seq 0 $((n - 1))); do
  ip netns exec "$prefix-$i" nft delete table inet barrel_cut || fail "cannot remove the cut"
done
healed=$SECONDS
wait_components -eq 1 180 "one component again after the heal"

registries_all() {  # each node's replica as one canonical line in $dir/line<i>
  fetch_all "/v1/services" "$total"
  parse_all '" ".join(sorted(s["name"] + "=" + ",".join(sorted(i["node"] for i in s["instances"])) for s in j["services"]))' "$total"
}
expected=$(
  {
    for i in $(seq 0 $((n - 1))); do echo "svc-n$i=n$i"; done
    echo "both-sides=n$n,n$((n + 1))"
    echo "late-a=n$n"
    echo "late-b=n$((n + 1))"
  } | LC_ALL=C sort | tr '\n' ' '
)
expected=${expected% }
identical=""
while [ $((SECONDS - healed)) -lt 180 ]; do
  registries_all
  distinct=$(for i in $(seq 0 $((total - 1))); do cat "$dir/line$i"; done | sort -u)
  if [ "$distinct" = "$expected" ]; then
    identical=$((SECONDS - healed))
    break
  fi
  sleep 1
done
if [ -z "$identical" ]; then
  echo "expected on every node: $expected"
  for i in $(seq 0 $((total - 1))); do echo "n$i: $(cat "$dir/line$i")"; done
  fail "registries not identical within 180 s of the heal"
fi
echo "netns remerge ($size_a | $size_b): identical registries on all $total nodes $identical s after the heal"
grep -h "partition" "$dir"/n*.log | sed 's/^.*\(partition[^(]*\).*$/\1/' | sort | uniq -c
echo "netns remerge ($size_a | $size_b): ok"
