// What `ecompipe query` (Warehouse::Query) may run on PostgreSQL and Redshift: the SQL text is
// split into statements here, each statement is checked against the rules below, and the
// warehouse then sends the statements one at a time with the extended query protocol, which
// refuses a message holding more than one statement. So a statement this splitter gets wrong
// fails on the server; it never smuggles a second statement past the checks.
//
// Read-only (the default) means: every statement runs inside one `BEGIN READ ONLY` transaction
// that is always rolled back, so nothing the text does outlives the call (not even what
// PostgreSQL lets a read-only transaction do, such as creating large objects). The user's text
// cannot leave that transaction: transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...)
// and the settings that would make it read-write are refused here, and the warehouse checks
// after each statement that the transaction is still open.
//
// Refused with or without --write, because a transaction cannot undo them or because they run
// code or SQL these checks cannot see: COPY (server files and programs), LOAD and CREATE/ALTER
// EXTENSION (loading code), CREATE FUNCTION in LANGUAGE c or internal, DO blocks, U&"..."
// identifiers, and calls of the functions in kRefusedPgFunctions (server files, large-object
// import/export, SQL passed as text, dblink, signalling other backends, server admin).
// These checks guard against mistakes and smuggled statements; they are not a sandbox for a
// role that holds superuser rights: a function someone created may still do anything its
// owner could. The role in the warehouse URL is the boundary (docs/warehouse.md).
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ecompipe::warehouse {

// Splits `sql` at the semicolons outside quotes ('...', E'...', "...", $tag$...$tag$) and
// comments (--, nested /* */). Statements holding only whitespace and comments are dropped; each
// statement comes back without its ';' and trimmed. kInvalidArgument for an unterminated quote,
// dollar quote or comment.
Result<std::vector<std::string>> SplitPgStatements(std::string_view sql);

enum class PgStatementKind {
  kOther,
  kSessionSetting,      // SET / RESET of a parameter (not SET LOCAL): lasts for the session
  kTransactionControl,  // BEGIN, START, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE, PREPARE
                        // TRANSACTION
};

// Checks one statement (from SplitPgStatements) against the rules in the header comment.
// Returns its kind, or kInvalidArgument saying why it is refused. Without `write`,
// transaction control and SET/RESET of transaction_read_only, default_transaction_read_only,
// SET TRANSACTION and SET SESSION CHARACTERISTICS are refused as well.
Result<PgStatementKind> CheckPgStatement(std::string_view statement, bool write);

// The functions CheckPgStatement refuses to call, lower case.
extern const std::span<const std::string_view> kRefusedPgFunctions;

}  // namespace ecompipe::warehouse
