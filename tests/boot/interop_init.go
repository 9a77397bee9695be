package boot

// reportInit is PID 1 of the busybox guests of the interop and benchmark
// scenarios. It reports like the systemd guest's unit (BOOTTEST markers),
// times one "gostree health run" (no checks are installed), and powers off.
const reportInit = `#!/bin/sh
export PATH=/usr/bin:/usr/sbin
mount -t tmpfs tmp /tmp
` + nowNS + `
m() { echo "BOOTTEST $*"; }
block() { n=$1; shift; echo "BOOTTEST-BEGIN $n"; "$@" 2>&1; echo "BOOTTEST-END $n rc=$?"; }
m pid=$$
m run_booted=$([ -e /run/ostree-booted ] && echo yes || echo no)
m usr_write=$(touch /usr/.probe 2>/dev/null && echo allowed || echo refused)
m etc_write=$(touch /etc/.probe 2>/dev/null && rm /etc/.probe && echo allowed || echo refused)
block mountinfo cat /proc/self/mountinfo
block gostree-status gostree admin status
now; t0=$NOW
gostree health run --no-reboot >/tmp/health.out 2>&1
rc=$?
now; t1=$NOW
m health_run_us=$(( (t1 - t0) / 1000 ))
m health_rc=$rc
echo BOOTTEST-DONE
sync
poweroff -f
`
