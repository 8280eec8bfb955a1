/* The parts of the HTML page (src/report/html.c, html_plots.c). */
#ifndef NUMAMMA_HTML_H
#define NUMAMMA_HTML_H

#include <stdio.h>

#include "report.h"

/* s with & < > " escaped. */
void html_text(FILE *f, const char *s);
void html_table(FILE *f, const struct rtable *t);

/* The answer first: how remote the accesses are, the object that matters
 * most, and what to run next. */
void html_headline(FILE *f, const struct report *rep, const struct prof_run *run);
/* Bar charts: local vs remote samples per most accessed object; samples
 * per cpu node. */
void html_remote_bars(FILE *f, const struct report *rep);
void html_node_bars(FILE *f, const struct prof_run *run);
/* Per most accessed object (or the one of --object): its call stack and
 * a heat map of its pages by thread. */
void html_objects(FILE *f, const struct report *rep, const struct prof_run *run);
/* --diff: remote share before and after, per matched call site. */
void html_diff(FILE *f, const struct report *rep);
/* The thread x thread matrix of shared pages. */
void html_sharing(FILE *f, const struct report *rep);

#endif
