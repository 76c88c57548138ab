/*
 * The flac command's files: cmd-flac.c (check, explain, -f) and
 * cmd-session.c (session export, session import), which runs the program
 * it rebuilds a session for through cmd_run().
 */
#ifndef FLAC_CMD_H
#define FLAC_CMD_H

#include <stdio.h>

struct iosess;

#define EXIT_SPEC	1
#define EXIT_USAGE	2
#define EXIT_NOEXEC	126
#define EXIT_NOTFOUND	127

/* `flac -f SPEC ... CMD`: argv[1] is -f (or --file...). */
int	cmd_run(int argc, char **argv);
/* `flac session ...`: argv[0] is "session". */
int	cmd_session(int argc, char **argv);

/*
 * Set by `session import` before cmd_run(): the open files to rebuild
 * (cmd_run calls cmd_session_restore() in the name space, just before it
 * runs the program), and the name under which a specification taken from
 * an image is shown in messages instead of its path.
 */
extern struct iosess *cmd_restore;
extern const char *cmd_spec_path, *cmd_spec_label;
int	cmd_session_restore(const struct iosess *s);

#endif
