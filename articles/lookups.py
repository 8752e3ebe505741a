"""`id__among=[...]`: the rows whose id is in a list, the list sent as one parameter.

`id__in` sends every id as a parameter of its own, and Django prepares each one: for the thousand ids of an
import batch that is about a millisecond to build each statement and as much again for SQLite to bind them,
on every statement a batch's ingest rules run (docs/PERFORMANCE.md). Here the list is one value: a JSON
array SQLite reads with `json_each`, an array on PostgreSQL. `models` registers it on the id fields.
"""

from __future__ import annotations

import json

from django.db.models import Lookup


class Among(Lookup):
    lookup_name = "among"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(self.rhs)]
