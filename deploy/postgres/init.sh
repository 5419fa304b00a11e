#!/usr/bin/env bash
# Creates one login role and one database per service, each role owning only its
# own database: a service's credentials cannot read another service's data
# (DESIGN.md: "a service never reads another service's database").
#
# Run by the postgres image from /docker-entrypoint-initdb.d on the first start
# of an empty data volume. Safe to run again by hand on an existing cluster
# (it creates what is missing and re-applies passwords and privileges):
#
#   docker compose exec postgres bash /docker-entrypoint-initdb.d/10-portail-databases.sh
#
# Passwords come from <SERVICE>_DB_PASSWORD (see .env.example, "docker compose only").
#
# The body runs in a subshell: the image *sources* init files that lost their
# executable bit (a checkout with core.fileMode=false), and our strict shell
# options must not leak into its entrypoint.
(
set -euo pipefail

readonly SERVICES=(accounts planning billing messaging)

# Superuser connection; the image's entrypoint exports POSTGRES_USER, and the
# temporary init-time server listens on the Unix socket only.
psql_admin() {
    psql --no-psqlrc --set ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" "$@"
}

create_service_database() {
    local name="$1"
    local password_var="${name^^}_DB_PASSWORD"
    local password="${!password_var:-}"
    if [[ -z "${password}" ]]; then
        echo "init.sh: ${password_var} is empty; refusing to create role ${name} without a password" >&2
        return 1
    fi

    # psql variables (:'name', :'password') are quoted by psql itself, and
    # format(%I/%L) quotes again inside the generated statements, so a password
    # with quotes or backslashes cannot break out of the SQL. \gexec runs each
    # generated statement; CREATE DATABASE cannot run inside a DO block.
    psql_admin --dbname postgres --set name="${name}" --set password="${password}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name')
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'name')
\gexec

-- Least privilege: a plain login role, and the password re-applied on every run
-- so that rotating <SERVICE>_DB_PASSWORD and re-running this script takes effect.
SELECT format(
    'ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
    :'name', :'password')
\gexec

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'name', :'name', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'name')
\gexec

-- Every role may connect to every database by default (PUBLIC). Only the owner
-- (and the superuser for operations) may connect to this one.
SELECT format('ALTER DATABASE %I OWNER TO %I', :'name', :'name')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name')
\gexec
SQL

    # The public schema belongs to pg_database_owner since PostgreSQL 15, so the
    # service role can run its own migrations there; remove PUBLIC's default
    # rights explicitly so the layout holds on older servers too.
    psql_admin --dbname "${name}" <<'SQL'
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
    psql_admin --dbname "${name}" --set name="${name}" <<'SQL'
SELECT format('GRANT ALL ON SCHEMA public TO %I', :'name')
\gexec
SQL
    echo "init.sh: database ${name} ready, owned by role ${name}"
}

for service in "${SERVICES[@]}"; do
    create_service_database "${service}"
done
)
