#!/usr/bin/env python3
"""Writes the man page ecompipe(1) and the bash and zsh completions from the commands' own --help.

Usage: cli_docs.py ECOMPIPE_BINARY OUT_DIR

Runs `ecompipe --help`, then `ecompipe COMMAND --help` for every command and subcommand it lists,
and reads CLI11's help layout (a description, "Usage:", then "Positionals:", "Options:",
"Subcommands:" sections, then an optional footer). Nothing here repeats what a command says
about itself: a new command or option reaches the man page and the completions at the next
build. Writes OUT_DIR/ecompipe.1 (and .1.gz), OUT_DIR/ecompipe.bash and OUT_DIR/_ecompipe; exits 1 when the
help cannot be read (a layout this script does not know fails the build rather than shipping an
empty page).
"""
import gzip
import os
import re
import subprocess
import sys

SECTIONS = ("Positionals:", "Options:", "Subcommands:")
HELP_COLUMN = 30  # CLI11's default column: where a description starts


class Command:
    def __init__(self, path):
        self.path = path  # ["notifications", "redrive"]; [] for ecompipe itself
        self.description = ""
        self.usage = ""
        self.positionals = []  # (name, description)
        self.options = []  # (names, value, choices, description): (["-n", "--limit"], "INT=20", [], ...)
        self.subcommands = []  # Command
        self.footer = ""


def entries(lines):
    """(head, description) pairs of a section: a head at two spaces' indent, its description after
    two or more spaces on the same line and on deeper-indented lines below."""
    out = []
    for line in lines:
        if re.match(r"^ {2}\S", line):
            head, _, desc = line.strip().partition("  ")
            if not desc and len(line) > HELP_COLUMN and line[HELP_COLUMN - 1] == " ":
                # A head exactly as wide as the column is followed by one space only.
                head, desc = line[:HELP_COLUMN].strip(), line[HELP_COLUMN:]
            out.append([head, desc.strip()])
        elif line.strip() and out:
            out[-1][1] = (out[-1][1] + " " + line.strip()).strip()
    return out


def parse_help(text, path):
    cmd = Command(path)
    lines = text.splitlines()
    usage_at = next((i for i, l in enumerate(lines) if l.startswith("Usage: ")), None)
    if usage_at is None:
        raise ValueError(f"no 'Usage:' line in the help of {' '.join(['ecompipe'] + path)}")
    cmd.description = "\n".join(lines[:usage_at]).strip()
    cmd.usage = lines[usage_at][len("Usage: "):].strip()
    section, body, rest = None, [], lines[usage_at + 1:]
    footer_at = len(rest)
    for i, line in enumerate(rest):
        if line in SECTIONS:
            section, body = line, []
            continue
        if section and (line.startswith("  ") or not line.strip()):
            if line.strip():
                body.append(line)
            if not line.strip() or i + 1 == len(rest) or not rest[i + 1].startswith("  "):
                store(cmd, section, body)
                section, body = None, []
            continue
        if line.strip():
            footer_at = i
            break
    cmd.footer = "\n".join(rest[footer_at:]).strip()
    return cmd


def store(cmd, section, body):
    for head, desc in entries(body):
        if section == "Positionals:":
            cmd.positionals.append((head.split()[0], desc))
        elif section == "Options:":
            names, _, value = head.partition(" ")
            choices = re.search(r"\{([^}]*)\}", value)
            cmd.options.append((names.split(","), value, choices.group(1).split(",") if choices else [],
                                desc))
        else:
            cmd.subcommands.append((head.split()[0], desc))


def read_tree(binary, path=()):
    r = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise ValueError(f"{' '.join([binary, *path, '--help'])} exited {r.returncode}: {r.stderr}")
    cmd = parse_help(r.stdout, list(path))
    cmd.subcommands = [read_tree(binary, (*path, name)) for name, _ in cmd.subcommands]
    return cmd


def walk(cmd):
    yield cmd
    for sub in cmd.subcommands:
        yield from walk(sub)


# --- the man page -----------------------------------------------------------------------------

def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + l if l.startswith((".", "'")) else l) for l in text.split("\n"))


def roff_block(text):
    """Text whose line breaks and indentation matter (examples, lists): kept as it is."""
    return ".nf\n" + roff(text) + "\n.fi\n" if text else ""


def man_page(root, version):
    first, _, rest = root.description.partition("\n")
    out = [f'.TH ECOMPIPE 1 "" "ecompipe {version}" "User Commands"',
           ".SH NAME", "ecompipe \\- " + roff(first.removeprefix("ecompipe: ").rstrip(".")),
           ".SH SYNOPSIS", ".B ecompipe", "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]",
           ".SH DESCRIPTION", roff_block(rest.strip()).rstrip(), ".SH OPTIONS"]
    out += option_items(root)
    out.append(".SH COMMANDS")
    for cmd in walk(root):
        if not cmd.path:
            continue
        out += [f'.SS "{roff(cmd.usage)}"', roff_block(cmd.description).rstrip()]
        for name, desc in cmd.positionals:
            out += [".TP", f"\\fI{roff(name)}\\fR", roff(desc)]
        out += option_items(cmd)
        if cmd.footer:
            out += [".PP", roff_block(cmd.footer).rstrip()]
    if root.footer:
        out += [".SH NOTES", roff_block(root.footer).rstrip()]
    out += [".SH FILES", ".TP", "\\fI/etc/ecompipe/ecompipe.yaml\\fR",
            "The configuration the packaged service (ecompipe.service) reads.",
            ".TP", "\\fI/var/lib/ecompipe/\\fR",
            "The packaged service's bucket, state store and warehouse.",
            ".SH SEE ALSO", "\\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1); docs/install.md and "
            "docs/configuration.md in the ecompipe sources."]
    return "\n".join(l for l in out if l) + "\n"


def option_items(cmd):
    out = []
    for names, value, _, desc in cmd.options:
        if names == ["-h", "--help"] and cmd.path:
            continue  # every command has it; said once, under OPTIONS
        head = ", ".join(f"\\fB{roff(n)}\\fR" for n in names)
        if value:
            head += " \\fI" + roff(value) + "\\fR"
        out += [".TP", head, roff(desc)]
    return out


# --- completions ------------------------------------------------------------------------------

def takes_value(value):
    return bool(value) and not value.startswith("[")


def bash_completion(root):
    cases = []
    for cmd in walk(root):
        words = [n for names, _, _, _ in cmd.options for n in names]
        words += [s.path[-1] for s in cmd.subcommands]
        valued = [n for names, value, _, _ in cmd.options if takes_value(value) for n in names]
        choices = [(names, c) for names, _, c, _ in cmd.options if c]
        lines = [f'    "{" ".join(cmd.path)}")', f'      words="{" ".join(words)}"',
                 f'      valued="{" ".join(valued)}"']
        for names, c in choices:
            lines.append(f'      case "$prev" in {"|".join(names)}) choices="{" ".join(c)}";; esac')
        lines.append("      ;;")
        cases.append("\n".join(lines))
    subcommand_paths = " ".join('"' + " ".join(c.path) + '"' for c in walk(root))
    return BASH_TEMPLATE.replace("@CASES@", "\n".join(cases)).replace(
        "@GLOBAL_VALUED@", " ".join(n for names, v, _, _ in root.options if takes_value(v)
                                    for n in names)).replace("@PATHS@", subcommand_paths)


BASH_TEMPLATE = r"""# bash completion for ecompipe; generated from its --help by cmake/cli_docs.py.
_ecompipe() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local path="" words valued choices="" i word
  local -a known=(@PATHS@)
  # The command path so far ("notifications redrive"), skipping options and their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case " @GLOBAL_VALUED@ " in *" $word "*) ((i++)); continue;; esac
    [[ $word == -* ]] && continue
    local next=${path:+$path }$word k
    for k in "${known[@]}"; do [[ $k == "$next" ]] && path=$next && break; done
  done
  case "$path" in
@CASES@
  esac
  case " @GLOBAL_VALUED@ " in *" $prev "*)
    COMPREPLY=($(compgen -f -- "$cur")); return;;
  esac
  if [[ -n $choices ]]; then
    COMPREPLY=($(compgen -W "$choices" -- "$cur")); return
  fi
  case " $valued " in *" $prev "*)
    COMPREPLY=($(compgen -f -- "$cur")); return;;
  esac
  if [[ $cur == -* ]]; then
    local globals="@GLOBALS@"
    COMPREPLY=($(compgen -W "$words $globals" -- "$cur"))
  else
    local subs=""
    for word in $words; do [[ $word != -* ]] && subs+=" $word"; done
    if [[ -n $subs ]]; then COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    else COMPREPLY=($(compgen -f -- "$cur")); fi
  fi
}
complete -F _ecompipe ecompipe
"""


def zsh_quote(text):
    return text.replace("'", "'\\''").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:")


def zsh_function(cmd):
    fname = "_ecompipe" + "".join("_" + p.replace("-", "_") for p in cmd.path)
    specs = []
    for names, value, choices, desc in cmd.options:
        d = zsh_quote(desc.split(". ")[0][:80])
        action = ""
        if takes_value(value):
            action = ":value:(" + " ".join(choices) + ")" if choices else ":value:_files"
        if len(names) > 1:
            specs.append(f"'({' '.join(names)})'{{{','.join(names)}}}'[{d}]{action}'")
        else:
            specs.append(f"'{names[0]}[{d}]{action}'")
    lines = [f"{fname}() {{"]
    if cmd.subcommands:
        lines.append("  local -a commands=(")
        for sub in cmd.subcommands:
            lines.append(f"    '{sub.path[-1]}:{zsh_quote(sub.description.splitlines()[0][:80])}'")
        lines.append("  )")
        lines.append("  local curcontext=$curcontext state line")
        lines.append("  _arguments -C \\")
        for s in specs:
            lines.append(f"    {s} \\")
        lines.append("    '1: :->command' '*:: :->args' && return")
        lines.append("  case $state in")
        lines.append("    command) _describe command commands ;;")
        lines.append("    args) case $line[1] in")
        for sub in cmd.subcommands:
            sname = fname + "_" + sub.path[-1].replace("-", "_")
            lines.append(f"      {sub.path[-1]}) {sname} ;;")
        lines.append("    esac ;;")
        lines.append("  esac")
    else:
        lines.append("  _arguments \\")
        for s in specs:
            lines.append(f"    {s} \\")
        lines.append("    '*:file:_files'")
    lines.append("}")
    return "\n".join(lines)


def zsh_completion(root):
    funcs = [zsh_function(c) for c in walk(root)]
    return ("#compdef ecompipe\n# zsh completion for ecompipe; generated from its --help by "
            "cmake/cli_docs.py.\n\n" + "\n\n".join(funcs) + '\n\n_ecompipe "$@"\n')


def main():
    binary, out_dir = sys.argv[1], sys.argv[2]
    try:
        root = read_tree(binary)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                 check=True).stdout.split()[1]
    except (ValueError, subprocess.SubprocessError, IndexError) as e:
        print(f"cli_docs.py: {e}", file=sys.stderr)
        return 1
    if not root.subcommands or not root.options:
        print("cli_docs.py: ecompipe --help lists no commands or options", file=sys.stderr)
        return 1
    os.makedirs(out_dir, exist_ok=True)
    # Options every command takes (they fall through); --help is each command's own already.
    globals_ = " ".join(n for names, _, _, _ in root.options for n in names
                        if names != ["-h", "--help"] and n != "--version")
    outputs = {"ecompipe.1": man_page(root, version),
               "ecompipe.bash": bash_completion(root).replace("@GLOBALS@", globals_),
               "_ecompipe": zsh_completion(root)}
    for name, text in outputs.items():
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(text)
    # Debian installs man pages compressed; mtime 0 keeps the build reproducible.
    with gzip.GzipFile(os.path.join(out_dir, "ecompipe.1.gz"), "wb", compresslevel=9,
                       mtime=0) as f:
        f.write(outputs["ecompipe.1"].encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
