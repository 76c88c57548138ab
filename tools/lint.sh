#!/usr/bin/env bash
# make lint: static checks over the tree: cppcheck on the C sources,
# and ShellCheck on the shell scripts; both from Debian (tools/deps.sh does not
# install them: lint is a developer's target, and says what is missing).
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
if command -v cppcheck >/dev/null; then
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
	    --enable=warning,portability,performance \
	    --suppress=missingIncludeSystem -I . \
	    common edp librocks rockd guievict tests/helpers flac 2>&1 || rc=1
else
	echo "lint: cppcheck is not installed (apt-get install cppcheck)" >&2
	rc=1
fi
if command -v shellcheck >/dev/null; then
	shellcheck -x -S warning tools/*.sh tests/lib.sh tests/lib-peers.sh tests/lib-x.sh \
	    tests/integ/*.sh .ci/run || rc=1
else
	echo "lint: shellcheck is not installed (apt-get install shellcheck)" >&2
	rc=1
fi
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
