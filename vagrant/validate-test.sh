#!/usr/bin/env bash
# Checks vagrant/Vagrantfile with `vagrant validate`, as make test does, without starting or downloading anything:
#   1. `vagrant validate --ignore-provider`: the machines, network, synced folder and provisioners (what anyone
#      can check with no provider installed);
#   2. `vagrant validate` against the VirtualBox provider, which checks its block too. VirtualBox is not installed
#      here: a stand-in VBoxManage answers the version query that makes the provider usable, and fails this test
#      if Vagrant asks it anything else. (vagrant-libvirt is not packaged with Debian's vagrant without
#      recommends; its block is checked when that plugin is installed.)
#   3. each VM's provisioning, as the Vagrantfile gives it (provisioning-commands.rb reads it), run here staged:
#      packaging/provision-node.sh with the Vagrantfile's flags and environment plus --destdir --no-build, so a flag
#      the script stops taking fails here; the other steps only have the files they install checked.
# Vagrant's home and state go to a temporary directory: the cluster secret the Vagrantfile makes lands there.
# Step 3 needs a built tree (make build; make test runs this after it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
command -v vagrant > /dev/null || { echo "validate-test: vagrant is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/bin"
cat > "$scratch/bin/VBoxManage" <<STUB
#!/bin/sh
echo "\$*" >> "$scratch/vboxmanage.calls"
[ "\$*" = --version ] && echo 7.0.14r161095 && exit 0
exit 1
STUB
chmod +x "$scratch/bin/VBoxManage"

vagrant_here() {
    (cd "$HERE" && env VAGRANT_HOME="$scratch/home" VAGRANT_DOTFILE_PATH="$scratch/state" VAGRANT_CHECKPOINT_DISABLE=1 \
        "$@" vagrant validate "${ARGS[@]}") > "$scratch/out" 2>&1 || {
        cat "$scratch/out" >&2
        echo "validate-test: FAIL: vagrant validate ${ARGS[*]}${1:+ (VirtualBox provider)}" >&2
        exit 1
    }
}

ARGS=(--ignore-provider)
vagrant_here
ARGS=()
vagrant_here PATH="$scratch/bin:$PATH" VAGRANT_DEFAULT_PROVIDER=virtualbox
if [[ $(sort -u "$scratch/vboxmanage.calls") != --version ]]; then
    echo "validate-test: FAIL: vagrant validate ran VBoxManage $(paste -sd, "$scratch/vboxmanage.calls")" >&2
    exit 1
fi
[[ -s $scratch/state/navstar-cluster-secret ]] || { echo "validate-test: FAIL: no cluster secret made" >&2; exit 1; }

staged=0
while IFS=$'\x1f' read -r machine step variables command; do
    if [[ $command == /navstar/packaging/provision-node.sh* ]]; then
        environment=()
        eval "environment=($variables)" # shell-quoted by provisioning-commands.rb
        if ! env "${environment[@]}" bash -c "${command//\/navstar\//$REPO/} --destdir '$scratch/$machine' --no-build" \
                > "$scratch/out" 2>&1; then
            cat "$scratch/out" >&2
            echo "validate-test: FAIL: the $step provisioning of $machine, staged, failed: $command" >&2
            exit 1
        fi
        staged=$((staged + 1))
    else
        while read -r path; do
            [[ -e $REPO/${path#/navstar/} ]] \
                || { echo "validate-test: FAIL: the $step provisioning of $machine uses $path, absent" >&2; exit 1; }
        done < <(grep -o '/navstar/[^ ]*' <<< "$command")
    fi
done < <(VAGRANT_DOTFILE_PATH="$scratch/state" ruby "$HERE/provisioning-commands.rb" "$HERE/Vagrantfile")
for machine in node1 node2 node3; do
    grep -q "^  address: 192.168.56" "$scratch/$machine/etc/navstar/navstar.yaml" 2> /dev/null \
        || { echo "validate-test: FAIL: $machine's provisioning wrote no config" >&2; exit 1; }
done
[[ -f $scratch/node1/var/lib/navstar/tasks/web-1.json ]] \
    || { echo "validate-test: FAIL: node1's provisioning registered no web task" >&2; exit 1; }
echo "validate-test: vagrant/Vagrantfile validates (no provider, and the VirtualBox provider);" \
    "its $staged provision-node.sh steps run staged"
