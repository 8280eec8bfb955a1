#!/bin/sh
# One line on the machine the bench figures come from: its cpus, kernel,
# hypervisor, and what a fresh page's first write costs, 4 KiB and 2 MiB
# (bench/page-touch):
# numamma's fixed costs scale with it, and figures from two kinds of host
# differ by it (a PVM guest traps to the hypervisor at each one).
top=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$top" bench/page-touch >/dev/null || exit 0
hv=$(dmesg 2>/dev/null | sed -n 's/.*Hypervisor detected: //p' | head -1)
[ -n "$hv" ] || hv=$(systemd-detect-virt 2>/dev/null) || hv=
printf 'host: %s cpus, %s, Linux %s%s\n' "$(nproc)" \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(uname -r)" \
	"${hv:+, hypervisor $hv}"
printf 'host: %s\n' "$("$top/bench/page-touch")"
# A huge page's first write clears 2 MiB: cheap where the memory was used
# a moment ago, costly where the host took the guest's idle memory back.
printf 'host: %s\n' "$("$top/bench/page-touch" --huge 4)"
