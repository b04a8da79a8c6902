#include "warehouse/postgres/query_statements.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace ecompipe::warehouse {
namespace {

constexpr std::array<std::string_view, 44> kRefusedFunctions = {
    // The server's files and directories.
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "pg_ls_tmpdir",
    "pg_ls_archive_statusdir",
    "pg_ls_logicalsnapdir",
    "pg_ls_logicalmapdir",
    "pg_ls_replslotdir",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "pg_file_sync",
    "pg_logdir_ls",
    // Large objects to and from server files (PostgreSQL 15 runs both in a read-only
    // transaction, and a rollback cannot take back a file written).
    "lo_import",
    "lo_export",
    // SQL given as text, which these checks cannot see.
    "query_to_xml",
    "query_to_xmlschema",
    "query_to_xml_and_xmlschema",
    "ts_stat",
    // Other connections (dblink writes through a session of its own).
    "dblink",
    "dblink_exec",
    "dblink_connect",
    "dblink_connect_u",
    "dblink_send_query",
    "dblink_open",
    "dblink_fetch",
    // Other sessions and the server itself.
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_promote",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_log_backend_memory_contexts",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_drop_replication_slot",
};

enum class Kind { kWord, kQuoted, kString, kPunct, kUnicodeIdent };

struct Token {
  Kind kind;
  std::string text;  // words lower-cased; quoted identifiers as written, without quotes
  size_t begin = 0, end = 0;
};

bool WordStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool WordChar(unsigned char c) { return WordStart(c) || std::isdigit(c) || c == '$'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// PostgreSQL's lexical structure, as far as finding statement ends and names needs it.
Status Lex(std::string_view sql, std::vector<Token>& tokens) {
  size_t i = 0;
  const size_t n = sql.size();
  auto unterminated = [&](const char* what, size_t at) {
    return Status::InvalidArgument(std::string("unterminated ") + what + " starting at offset " +
                                   std::to_string(at));
  };
  // A quoted run closed by `quote`, with the quote doubled inside; backslash escapes in E'...'.
  auto quoted = [&](size_t start, char quote, bool backslash) -> Result<size_t> {
    size_t j = start + 1;
    while (j < n) {
      if (backslash && sql[j] == '\\') {
        j += 2;
        continue;
      }
      if (sql[j] == quote) {
        if (j + 1 < n && sql[j + 1] == quote) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return unterminated(quote == '"' ? "quoted identifier" : "string", start);
  };
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(sql[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t start = i;
      int depth = 0;
      do {
        if (i + 1 < n && sql[i] == '/' && sql[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (i + 1 < n && sql[i] == '*' && sql[i + 1] == '/') {
          --depth;
          i += 2;
        } else if (i >= n) {
          return unterminated("comment", start);
        } else {
          ++i;
        }
      } while (depth > 0);
    } else if (c == '\'') {
      EP_ASSIGN_OR_RETURN(size_t end, quoted(i, '\'', false));
      tokens.push_back({Kind::kString, "", i, end});
      i = end;
    } else if (c == '"') {
      EP_ASSIGN_OR_RETURN(size_t end, quoted(i, '"', false));
      std::string name;
      for (size_t j = i + 1; j + 1 < end; ++j) {
        name += sql[j];
        if (sql[j] == '"') ++j;
      }
      tokens.push_back({Kind::kQuoted, std::move(name), i, end});
      i = end;
    } else if (c == '$' && i + 1 < n && !std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      // $tag$ ... $tag$ (the tag may be empty); a lone '$' is an operator character.
      size_t j = i + 1;
      while (j < n && WordChar(static_cast<unsigned char>(sql[j])) && sql[j] != '$') ++j;
      if (j >= n || sql[j] != '$' ||
          (j > i + 1 && !WordStart(static_cast<unsigned char>(sql[i + 1])))) {
        tokens.push_back({Kind::kPunct, "$", i, i + 1});
        ++i;
        continue;
      }
      const std::string_view tag = sql.substr(i, j + 1 - i);
      const size_t close = sql.find(tag, j + 1);
      if (close == std::string_view::npos) return unterminated("dollar-quoted string", i);
      tokens.push_back({Kind::kString, "", i, close + tag.size()});
      i = close + tag.size();
    } else if (WordStart(c)) {
      size_t j = i;
      while (j < n && WordChar(static_cast<unsigned char>(sql[j]))) ++j;
      const std::string word = Lower(sql.substr(i, j - i));
      if (word == "e" && j < n && sql[j] == '\'') {  // E'...': backslash escapes
        EP_ASSIGN_OR_RETURN(size_t end, quoted(j, '\'', true));
        tokens.push_back({Kind::kString, "", i, end});
        i = end;
      } else if (word == "u" && j + 1 < n && sql[j] == '&' && sql[j + 1] == '"') {
        EP_ASSIGN_OR_RETURN(size_t end, quoted(j + 1, '"', false));
        tokens.push_back({Kind::kUnicodeIdent, "", i, end});
        i = end;
      } else {
        tokens.push_back({Kind::kWord, word, i, j});
        i = j;
      }
    } else if (std::isdigit(c)) {
      size_t j = i;
      while (j < n &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' || sql[j] == '.')) {
        ++j;
      }
      tokens.push_back({Kind::kPunct, std::string(sql.substr(i, j - i)), i, j});
      i = j;
    } else {
      tokens.push_back({Kind::kPunct, std::string(1, static_cast<char>(c)), i, i + 1});
      ++i;
    }
  }
  return Status::Ok();
}

bool IsWord(const std::vector<Token>& t, size_t k, std::string_view word) {
  return k < t.size() && t[k].kind == Kind::kWord && t[k].text == word;
}

// A parameter name after SET/RESET, plain or quoted (parameter names ignore case).
std::string ParameterName(const std::vector<Token>& t, size_t k) {
  if (k >= t.size()) return {};
  if (t[k].kind == Kind::kWord) return t[k].text;
  if (t[k].kind == Kind::kQuoted) return Lower(t[k].text);
  return {};
}

Status Refused(std::string why) { return Status::InvalidArgument("refused: " + std::move(why)); }

}  // namespace

const std::span<const std::string_view> kRefusedPgFunctions(kRefusedFunctions);

Result<std::vector<std::string>> SplitPgStatements(std::string_view sql) {
  std::vector<Token> tokens;
  EP_RETURN_IF_ERROR(Lex(sql, tokens));
  std::vector<std::string> statements;
  size_t first = 0;  // index of the statement's first token
  auto flush = [&](size_t end_token) {
    if (end_token > first) {
      const size_t begin = tokens[first].begin, end = tokens[end_token - 1].end;
      statements.emplace_back(sql.substr(begin, end - begin));
    }
    first = end_token + 1;
  };
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (tokens[k].kind == Kind::kPunct && tokens[k].text == ";") flush(k);
  }
  flush(tokens.size());
  return statements;
}

Result<PgStatementKind> CheckPgStatement(std::string_view statement, bool write) {
  std::vector<Token> t;
  EP_RETURN_IF_ERROR(Lex(statement, t));
  for (size_t k = 0; k < t.size(); ++k) {
    if (t[k].kind == Kind::kUnicodeIdent) {
      return Refused(
          "U&\"...\" identifiers are not accepted by ecompipe query; write the name plainly");
    }
    if (t[k].kind == Kind::kPunct && t[k].text == ";") {
      return Status::InvalidArgument("one statement expected, found ';' (use SplitPgStatements)");
    }
    const bool name = t[k].kind == Kind::kWord || t[k].kind == Kind::kQuoted;
    if (name && k + 1 < t.size() && t[k + 1].kind == Kind::kPunct && t[k + 1].text == "(" &&
        std::find(kRefusedFunctions.begin(), kRefusedFunctions.end(), t[k].text) !=
            kRefusedFunctions.end()) {
      return Refused(t[k].text +
                     "() is not run by ecompipe query, with or without --write: it reaches the "
                     "server's files, runs SQL given as text, or acts on other sessions or the "
                     "server (use psql as an administrator for that)");
    }
  }
  size_t k = 0;
  while (k < t.size() && t[k].kind == Kind::kPunct && t[k].text == "(") ++k;
  if (k >= t.size() || t[k].kind != Kind::kWord) return PgStatementKind::kOther;
  const std::string& first = t[k].text;

  if (first == "copy") {
    return Refused(
        "COPY is not run by ecompipe query, with or without --write (it reads or writes "
        "the server's files and programs); use SELECT, or psql's \\copy");
  }
  if (first == "load")
    return Refused(
        "LOAD (loading a library into the server) is not run by ecompipe query, with or without "
        "--write");
  if (first == "do") {
    return Refused(
        "DO blocks are not run by ecompipe query, with or without --write (they run SQL "
        "built as text, which cannot be checked); use psql");
  }
  if (first == "create" || first == "alter") {
    size_t j = k + 1;
    if (IsWord(t, j, "or") && IsWord(t, j + 1, "replace")) j += 2;
    if (IsWord(t, j, "extension")) {
      return Refused(
          "CREATE/ALTER EXTENSION (loading code into the server) is not run by ecompipe "
          "query, with or without --write");
    }
    while (IsWord(t, j, "trusted") || IsWord(t, j, "procedural")) ++j;
    if (IsWord(t, j, "language")) {
      return Refused(
          "CREATE LANGUAGE (loading code into the server) is not run by ecompipe query, "
          "with or without --write");
    }
    if (IsWord(t, j, "function") || IsWord(t, j, "procedure")) {
      for (size_t m = j; m + 1 < t.size(); ++m) {
        if (!IsWord(t, m, "language")) continue;
        const Token& lang = t[m + 1];
        const std::string_view text = lang.kind == Kind::kString
                                          ? statement.substr(lang.begin, lang.end - lang.begin)
                                          : std::string_view(lang.text);
        if (text == "c" || text == "internal" || text == "'c'" || text == "'internal'" ||
            text == "'C'") {
          return Refused(
              "functions in LANGUAGE c or internal (code loaded into the server) are "
              "not created by ecompipe query, with or without --write");
        }
      }
    }
  }

  const bool control = first == "begin" || first == "start" || first == "commit" ||
                       first == "end" || first == "rollback" || first == "abort" ||
                       first == "savepoint" || first == "release" ||
                       (first == "prepare" && IsWord(t, k + 1, "transaction"));
  if (control) {
    if (!write) {
      return Refused(Lower(first) +
                     ": transaction control is not available in a read-only "
                     "query (each call is one read-only transaction, rolled back at its end); "
                     "add --write to run your own transactions");
    }
    return PgStatementKind::kTransactionControl;
  }

  if (first == "set" || first == "reset") {
    size_t j = k + 1;
    bool local = false;
    if (first == "set" && (IsWord(t, j, "session") || IsWord(t, j, "local"))) {
      local = t[j].text == "local";
      // SET SESSION CHARACTERISTICS AS TRANSACTION ..., but SET SESSION AUTHORIZATION is a setting.
      if (!IsWord(t, j + 1, "characteristics")) ++j;
    }
    const std::string param = ParameterName(t, j);
    if (!write && (param == "transaction" || param == "session" ||
                   param == "transaction_read_only" || param == "default_transaction_read_only")) {
      return Refused(Lower(first) + " " + param +
                     ": the read-only transaction of ecompipe query cannot be changed; add "
                     "--write to change the warehouse");
    }
    return local ? PgStatementKind::kOther : PgStatementKind::kSessionSetting;
  }
  return PgStatementKind::kOther;
}

}  // namespace ecompipe::warehouse
