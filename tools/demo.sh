#!/usr/bin/env bash
# make demo: the project's main jobs on defaults that need no configuration,
# one after the other (tools/demo-*.sh).  DEMO_ONLY=rocks runs only those.
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
for s in tools/demo-edp.sh tools/demo-rocks.sh tools/demo-*.sh; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .sh)
	name=${name#demo-}
	case " ${seen:-} " in *" $name "*) continue ;; esac
	seen="${seen:-} $name"
	if [ -n "${DEMO_ONLY:-}" ] && ! echo " $DEMO_ONLY " | grep -q " $name "; then
		continue
	fi
	bash "$s" || { echo "demo: $name failed" >&2; rc=1; }
done
exit $rc
