/*
 * registry.c — the list of connectors wadi knows, by name.
 */
#include <string.h>
#include <strings.h>

#include "connectors/connector.h"

static const wd_connector *const all[] = {
    &wd_conn_nexmark, &wd_conn_impulse, &wd_conn_single_file, &wd_conn_filesystem,
    &wd_conn_stdout, &wd_conn_blackhole,
};

const wd_connector *wd_connector_find(const char *name)
{
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (!strcasecmp(all[i]->name, name)) return all[i];
    return NULL;
}

const char *wd_connector_names(void)
{
    return "nexmark, impulse, single_file, stdout, blackhole";
}

const wd_connector *const *wd_connectors(size_t *n)
{
    *n = sizeof all / sizeof *all;
    return all;
}
