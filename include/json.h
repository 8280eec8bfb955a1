/* JSON output shared by every --json / --format=json writer. */
#ifndef NUMAMMA_JSON_H
#define NUMAMMA_JSON_H

#include <stdio.h>

/* s as a JSON string: quotes, backslashes and control bytes escaped. */
void json_string(FILE *f, const char *s);

#endif
