# shellcheck shell=bash
# deploy.sh: the deployment cases of bench/run.sh, which sources this file after its case
# table. Not a script of its own.
#
#   deploy          admin deploy of A into a fresh sysroot (stateroot "bench") whose system repo
#                   holds A and B: the hard-link checkout, /etc copy, kernel install, BLS entry
#                   and bootloader switch, then the cleanup and prune every deploy ends with
#   deploy-upgrade  admin deploy of B into a sysroot where A is deployed: the same plus the
#                   three-way /etc merge from A and a second kernel
#
# The Debian trees are not deployable as they are: libostree 2022.7 wants the configuration in
# /usr/etc (with /etc alone, it fails with "Preparing /etc: No such file or directory: /usr/etc")
# and a kernel. So these cases commit a hard-link copy of A and of B (`cp -al`) with etc moved
# to usr/etc, as OSTree composes do, and usr/lib/modules/KVER/{vmlinuz,initramfs.img} added:
# 8 MiB and 24 MiB of random data (about a Debian kernel and its initramfs), a different
# kernel for B. Each tool prepares its own sysroots (untimed: admin init-fs, os-init, the two commits with
# fixed timestamps, and for deploy-upgrade the deploy of A), once per run of run.sh; every
# timed run then gets a fresh `cp -a` of them. Deployments stay mutable
# (OSTREE_SYSROOT_DEBUG=mutable-deployments, for both tools) so that the batch delete works.

CASE_TABLE+=(
	"deploy|deploy A into a fresh sysroot|admin deploy --os=bench bench/a (sysroot holding A and B)|0.7|"
	"deploy-upgrade|upgrade deploy A -> B|admin deploy --os=bench bench/b (sysroot with A deployed)|0.7|"
)

# deploy_tree SRC NAME KVER: a deployable copy of tree SRC (see above), made once.
deploy_tree() {
	local d=$W/trees/deploy-$2
	if [[ ! -d $d ]]; then
		cp -al "$1" "$d"
		mv "$d/etc" "$d/usr/etc"
		mkdir -p "$d/usr/lib/modules/$3"
		head -c $((8 << 20)) /dev/urandom >"$d/usr/lib/modules/$3/vmlinuz"
		head -c $((24 << 20)) /dev/urandom >"$d/usr/lib/modules/$3/initramfs.img"
	fi
	printf '%s' "$d"
}

# deploy_sysroot TOOL KIND: path of a sysroot made by TOOL itself; KIND is fresh (A and B
# committed) or deployed (A deployed as well).
deploy_sysroot() {
	local tool=$1 kind=$2 bin s da db
	bin=$(bin_of "$tool")
	s=$W/shared/$tool-sysroot-$kind
	if [[ ! -d $s ]]; then
		log "setup: $kind sysroot for $tool"
		if [[ $kind == deployed ]]; then
			cp -a "$(deploy_sysroot "$tool" fresh)" "$s"
			quiet "setup-$tool-sysroot-$kind" "$bin" admin deploy --sysroot="$s" --os=bench \
				--karg=root=LABEL=bench bench/a
		else
			da=$(deploy_tree "$TA" a 6.1.0-1-amd64)
			db=$(deploy_tree "$TB" b 6.1.0-2-amd64)
			mkdir -p "$s"
			quiet "setup-$tool-sysroot-$kind" "$bin" admin init-fs "$s"
			quiet "setup-$tool-sysroot-$kind" "$bin" admin os-init --sysroot="$s" bench
			quiet "setup-$tool-sysroot-$kind" "$bin" --repo="$s/ostree/repo" commit -b bench/a -s A \
				--timestamp="$TS_A" --tree=dir="$da"
			quiet "setup-$tool-sysroot-$kind" "$bin" --repo="$s/ostree/repo" commit -b bench/b -s B \
				--timestamp="$TS_B" --tree=dir="$db"
		fi
	fi
	printf '%s' "$s"
}

# deploy_setup: both tools' sysroots, before the first timed run.
deploy_setup() {
	export OSTREE_SYSROOT_DEBUG=mutable-deployments
	deploy_sysroot gostree deployed >/dev/null
	deploy_sysroot reference deployed >/dev/null
}

# run_one_deploy CASE RUN TOOL ORDER: one timed deploy into a fresh copy of TOOL's sysroot.
run_one_deploy() {
	local case=$1 run=$2 tool=$3 order=$4 bin s ref=bench/a kind=fresh
	bin=$(bin_of "$tool")
	s=$W/run/$case/$run-$tool/sysroot
	mkdir -p "$(dirname "$s")"
	if [[ $case == deploy-upgrade ]]; then
		ref=bench/b
		kind=deployed
	fi
	cp -a "$(deploy_sysroot "$tool" "$kind")" "$s"
	timed "$case" "$run" "$tool" "$order" "$bin" admin deploy --sysroot="$s" --os=bench "$ref"
	local csum
	csum=$("$bin" --repo="$s/ostree/repo" rev-parse "$ref")
	[[ -d $s/ostree/deploy/bench/deploy/$csum.0 ]] || die "$case run $run ($tool): no deployment of $ref"
	# One value per run, the same for both tools: the deployment, and digests of its tree and
	# of /boot.
	check "$case" "$run" "$tool" deployment \
		"$csum.0 tree=$(manifest "$s/ostree/deploy/bench/deploy/$csum.0") boot=$(manifest "$s/boot")"
}
