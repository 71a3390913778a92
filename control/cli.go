package control

import (
	"errors"
	"fmt"
	"strings"
)

// Action is what the command line asks pgrst to do.
type Action int

const (
	ActionRun     Action = iota // serve the API
	ActionHelp                  // print Usage() and exit
	ActionVersion               // print the version and exit
	ActionExample               // print Example() and exit
	ActionReady                 // probe the admin server's /ready and exit 0 when ready
	ActionSetup                 // install or upgrade the pgrst schema and exit
)

func (a Action) String() string {
	switch a {
	case ActionRun:
		return "run"
	case ActionHelp:
		return "help"
	case ActionVersion:
		return "version"
	case ActionExample:
		return "example"
	case ActionReady:
		return "ready"
	case ActionSetup:
		return "setup"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Command is the parsed command line.
type Command struct {
	Action Action
	// Path is the config file, "" for none.
	Path string
	// DDLReload (setup --ddl-reload) also installs the DDL event trigger.
	DDLReload bool
	// Role (setup --role NAME) is the role granted SELECT on pgrst.config;
	// "" means the connecting user.
	Role string
}

// ParseCommand reads the command line without the program name
// (os.Args[1:]). The only positional argument is the config file, after
// an optional first word "setup"; the flags are --help/-h, --version/-v,
// --example/-e and --ready, setup's --ddl-reload and --role NAME, and
// "--" ends the flags. An unknown flag, two actions or two files is an
// error (one line; print Usage() after it).
func ParseCommand(args []string) (Command, error) {
	var c Command
	if len(args) > 0 && args[0] == "setup" {
		c.Action = ActionSetup
		args = args[1:]
	}
	flagsDone := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !flagsDone && strings.HasPrefix(a, "-") && a != "-" {
			var act Action
			switch {
			case a == "--":
				flagsDone = true
				continue
			case a == "-h" || a == "--help":
				act = ActionHelp
			case a == "-v" || a == "--version":
				act = ActionVersion
			case a == "-e" || a == "--example":
				act = ActionExample
			case a == "--ready":
				act = ActionReady
			case c.Action == ActionSetup && a == "--ddl-reload":
				c.DDLReload = true
				continue
			case c.Action == ActionSetup && (a == "--role" || strings.HasPrefix(a, "--role=")):
				role, ok := strings.CutPrefix(a, "--role=")
				if !ok {
					if i+1 >= len(args) {
						return Command{}, errors.New("--role needs a role name")
					}
					i++
					role = args[i]
				}
				if role == "" {
					return Command{}, errors.New("--role needs a role name")
				}
				c.Role = role
				continue
			default:
				return Command{}, fmt.Errorf("unknown flag %s", a)
			}
			if c.Action != ActionRun && c.Action != act {
				return Command{}, fmt.Errorf("--%s and --%s cannot be used together", c.Action, act)
			}
			c.Action = act
			continue
		}
		if c.Path != "" {
			return Command{}, errors.New("only one config file can be given, got " + c.Path + " and " + a)
		}
		if a == "" {
			return Command{}, errors.New("empty config file name")
		}
		c.Path = a
	}
	return c, nil
}

// Usage returns the help text for --help.
func Usage() string {
	return `pgrst ` + Version + ` - a REST API for a PostgreSQL database, compatible with PostgREST

Usage:
  pgrst [FILE]        serve the API, configured by FILE (optional)
  pgrst --help        show this help (also -h)
  pgrst --version     show the version (also -v)
  pgrst --example     print an annotated example config file (also -e)
  pgrst --ready [FILE]
                      ask the admin server (admin-server-port) whether the
                      server is ready; exit code 0 when it is (health checks)
  pgrst setup [FILE] [--ddl-reload] [--role NAME]
                      install or upgrade the pgrst schema (table pgrst.config)
                      in the database of db-uri, connecting as a role that may
                      create schemas, and grant NAME (default: that role)
                      SELECT on it; --ddl-reload also installs an event trigger
                      (superuser only) that reloads the schema cache after DDL

Configuration, later sources overriding earlier ones:
  1. built-in defaults
  2. FILE, lines of  key = value  (strings in double quotes, # comments,
     $(VAR) inserts the environment variable VAR)
  3. environment variables PGRST_<KEY>: the option name upper-cased with
     '-' written '_', e.g. PGRST_DB_URI=postgres://app@db/app for db-uri,
     PGRST_APP_SETTINGS_JWT_EXP=3600 for app.settings.jwt_exp
  4. in the database (unless db-config = false): settings pgrst.<option>
     of the connecting role (ALTER ROLE authenticator SET pgrst.db_max_rows
     = '100') and those made by the db-pre-config function
  5. rows of the table pgrst.config (see pgrst setup)
Signals: SIGUSR1 reloads the schema cache, SIGUSR2 the configuration.

The database connection also honours libpq's variables (PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE, ...) for anything db-uri leaves out.

Options have PostgREST's names and meaning; see
  https://docs.postgrest.org/en/stable/references/configuration.html
and run  pgrst --example  for the most used ones with their defaults.
`
}

// Example returns an annotated example config file, in the file syntax,
// with the options pgrst types and their defaults. Commented-out bindings
// ("# key = value") show options that have no default; the file parses as
// it is and also with those lines uncommented.
func Example() string {
	return `## pgrst example configuration. Lines starting with "##" explain;
## lines starting with "# key =" are options you may uncomment.
## Strings are double-quoted ("\"" and "\\" escape a quote and a
## backslash), numbers and true/false are bare. "$(NAME)" inside a string
## is replaced with the environment variable NAME; "$$" is a single "$".
## Every option can also be set with an environment variable, which wins
## over this file: db-uri -> PGRST_DB_URI, app.settings.x -> PGRST_APP_SETTINGS_X.

## ---- database -------------------------------------------------------

## libpq connection string (URI or key=value). The default leaves host,
## port, user, password and database to PGHOST, PGPORT, PGUSER, ...
## "@path" reads the string from a file (e.g. a container secret).
db-uri = "postgresql://"
# db-uri = "postgres://authenticator:$(DB_PASSWORD)@localhost:5432/app"

## Schemas exposed as the API, comma-separated; the first is the default,
## the others are chosen with the Accept-Profile/Content-Profile headers.
db-schemas = "public"

## Role for requests without a JWT. Unset: such requests are refused.
# db-anon-role = "web_anon"

## Maximum number of connections in the pool.
db-pool = 10

## Seconds a request waits for a free connection before failing.
db-pool-acquisition-timeout = 10

## pgrst's own: seconds to wait for the database's answer on a connection
## before giving the connection up (a stalled network, a hung server): the
## request gets 503 PGRST001, the listener reconnects. 0 waits for ever,
## as PostgREST does; set it above your longest statement_timeout.
db-timeout = 0

## Schemas appended to every request's search_path (for extensions such as
## PostGIS); "" for none.
db-extra-search-path = "public"

## Function called at the start of every request, after the role and the
## request GUCs are set; may be schema-qualified.
# db-pre-request = "api.check_request"

## Hard limit on the rows a request can read or return. Unset: no limit.
# db-max-rows = 1000

## Also set the old per-claim and per-header GUCs
## (request.jwt.claim.<name>, request.header.<name>) beside
## request.jwt.claims and request.headers.
db-use-legacy-gucs = true

## pgrst's own: streaming replicas of the database (comma-separated
## postgres:// URIs; a URI without user, password or database takes
## db-uri's). Read-only requests go to a replica that is up, the rest to
## db-uri. See README "Read replicas".
# db-replicas = "postgres://replica1:5432,postgres://replica2:5432"

## pgrst's own: seconds a replica's data may lag behind before it gets no
## more requests; 0 for no limit.
db-replica-max-lag = 5

## pgrst's own: refuse PATCH and DELETE without a filter on their table
## (400, PGRST119) instead of changing every row, as the pg-safeupdate
## extension would.
db-safe-writes = false

## pgrst's own: allow the distinct and distinct=on(col,...) query
## parameters on reads (off by default: DISTINCT sorts or hashes every
## row the filters select, costly on big tables).
db-distinct-enabled = false

## ---- HTTP server ----------------------------------------------------

## Address to listen on: a host name or IP address, or
##   "!4" every IPv4 address, "!6" every IPv6 address,
##   "*", "*4", "*6" every address of both families.
server-host = "!4"

## TCP port; 0 lets the system pick a free one.
server-port = 3000

## pgrst's own: the largest request body accepted, in bytes; a larger one
## is refused with 413 (PGRST102) before it is read.
server-max-body-size = 104857600

## pgrst's own: GET /listen/<channel> relays NOTIFY <channel> as
## Server-Sent Events, to the roles pgrst.listen_allowed(channel) allows;
## a comment every server-listen-keepalive seconds; a listener with
## server-listen-buffer events not yet sent is dropped as too slow.
server-listen-enabled = false
server-listen-keepalive = 15
server-listen-buffer = 64

## ---- JWT authentication ---------------------------------------------

## Key that verifies JWTs: a secret of at least 32 characters, or a JWK or
## JWK set as JSON. "@path" reads it from a file. Unset: JWTs are refused.
# jwt-secret = "a-secret-of-at-least-32-characters"

## The secret above is base64 (standard or URL-safe alphabet).
jwt-secret-is-base64 = false

## (pgrst's own) Keys fetched from a JWK set URL, besides jwt-secret's.
## Or instead, jwt-oidc-issuer: an OpenID Connect issuer, whose discovery
## document names the key set, and whose "iss" tokens must then carry.
## Refreshed as the server's Cache-Control says, and when a token names
## an unknown "kid".
# jwt-jwks-url = "https://login.example.com/.well-known/jwks.json"

## Required value of the JWT's "aud" claim. Unset: any audience.
# jwt-aud = "https://api.example.com"

## Where the JWT carries the database role, as a JSON path.
## ("$$" is how this file writes a "$".)
jwt-role-claim-key = "$$.role"

## ---- logging --------------------------------------------------------

## One of crit, error, warn, info, debug.
log-level = "error"

## ---- API description at / ---------------------------------------------

## What GET / describes: "follow-privileges" (what the request's role may
## use), "ignore-privileges" (everything) or "disabled" (404).
openapi-mode = "follow-privileges"

## The description / gives when the client names no version: "2.0"
## (Swagger, as PostgREST) or "3.1" (OpenAPI 3.1). A client picks one with
## Accept: application/openapi+json;version=3.1 (or 2.0).
openapi-version = "2.0"

## ---- settings for SQL -----------------------------------------------

## app.settings.* options are set as GUCs in every request's transaction:
## current_setting('app.settings.jwt_exp').
# app.settings.jwt_exp = "3600"

## Every other option of PostgREST (db-channel, db-tx-end, db-root-spec,
## server-cors-allowed-origins, admin-server-port, ...) is accepted with
## its PostgREST name and default; see its configuration reference.
`
}
