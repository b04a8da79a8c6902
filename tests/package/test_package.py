"""The Debian package: built by CPack from the build tree, read back, installed into a throwaway
root, linted, and its unit verified by systemd-analyze.

ctest runs it (label `package`) on the build tree the other tests use (RelWithDebInfo, whatever
flags it was configured with), so its package is this build's; scripts/package.sh makes the
release package the same way from a Release build with Debian's hardening flags.
"""
import glob
import gzip
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("EP_BUILD_DIR") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                       "build")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

# Every file the package installs (directories aside).
EXPECTED_FILES = {
    "/etc/ecompipe/ecompipe.yaml",
    "/lib/systemd/system/ecompipe.service",
    "/usr/bin/ecompipe",
    "/usr/share/bash-completion/completions/ecompipe",
    "/usr/share/doc/ecompipe/changelog.gz",
    "/usr/share/doc/ecompipe/copyright",
    "/usr/share/man/man1/ecompipe.1.gz",
    "/usr/share/zsh/vendor-completions/_ecompipe",
}

# Lintian tags the package keeps, with the reason. Anything else, or any error or warning,
# fails the test.
ALLOWED_LINTIAN_TAGS = {
    # CPack strips with objcopy --strip-unneeded, which keeps the compiler's .comment section
    # (debhelper's dh_strip removes it); harmless.
    "binary-has-unneeded-section",
    # The test packages the build tree as configured; scripts/package.sh builds with
    # dpkg-buildflags' hardening (bindnow, fortify), which clears these two.
    "hardening-no-bindnow",
    "hardening-no-fortify-functions",
    # A false positive: the compiler stores "' is not registered" in 16-byte pieces, so the
    # binary's strings hold "' is not registe" (which code generation decides, build by build).
    "spelling-error-in-binary",
    # A systemd unit only: no System V init script is shipped.
    "package-supports-alternative-init-but-no-init.d-script",
}


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, **kw)


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ecompipe-package-")
        r = run("cpack", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", cls.tmp)
        if r.returncode != 0:
            raise AssertionError(f"cpack failed\n{r.stdout}\n{r.stderr}")
        debs = glob.glob(os.path.join(cls.tmp, "ecompipe_*.deb"))
        if len(debs) != 1:
            raise AssertionError(f"expected one .deb, found {debs}\n{r.stdout}")
        cls.deb = debs[0]
        cls.ddebs = glob.glob(os.path.join(cls.tmp, "ecompipe-dbgsym_*.ddeb"))
        cls.root = os.path.join(cls.tmp, "root")
        r = run("dpkg", "-x", cls.deb, cls.root)
        if r.returncode != 0:
            raise AssertionError(f"dpkg -x failed: {r.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return run("dpkg-deb", "-f", self.deb, name).stdout.strip()

    def test_contents_are_the_binary_config_unit_man_page_completions_and_docs(self):
        r = run("dpkg-deb", "-c", self.deb)
        self.assertEqual(r.returncode, 0, r.stderr)
        files = {line.split()[-1][1:] for line in r.stdout.splitlines() if not line.startswith("d")}
        self.assertEqual(files, EXPECTED_FILES, r.stdout)
        modes = {line.split()[-1][1:]: line.split()[0] for line in r.stdout.splitlines()}
        self.assertEqual(modes["/usr/bin/ecompipe"], "-rwxr-xr-x")
        self.assertEqual(modes["/etc/ecompipe/ecompipe.yaml"], "-rw-r--r--")

    def test_depends_are_computed_from_the_binary_and_the_config_is_a_conffile(self):
        depends = [d.strip() for d in self.field("Depends").split(",")]
        names = {d.split()[0] for d in depends}
        # dpkg-shlibdeps found the libraries the binary links (with its version bounds).
        for lib in ("libc6", "libsqlite3-0", "libpq5", "libcurl4", "libyaml-cpp0.7"):
            self.assertIn(lib, names, depends)
        self.assertTrue(any(d.startswith("libc6 (>= ") for d in depends), depends)
        self.assertIn("adduser", names)  # the postinst creates the service's user
        self.assertEqual(self.field("Package"), "ecompipe")
        control = os.path.join(self.tmp, "control")
        self.assertEqual(run("dpkg-deb", "-e", self.deb, control).returncode, 0)
        with open(os.path.join(control, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/ecompipe/ecompipe.yaml"])
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(control, script)
            self.assertTrue(os.access(path, os.X_OK), script)
            self.assertEqual(run("sh", "-n", path).returncode, 0, script)
        with open(os.path.join(control, "postinst")) as f:
            self.assertIn("adduser --system --group", f.read())

    def test_binary_is_stripped_and_its_debug_information_is_in_the_dbgsym_package(self):
        binary = os.path.join(self.root, "usr/bin/ecompipe")
        sections = run("readelf", "-S", "-W", binary).stdout
        self.assertNotIn(".debug_info", sections)
        self.assertNotIn(".symtab", sections)
        build_id = re.search(r"Build ID: ([0-9a-f]+)", run("readelf", "-n", binary).stdout).group(1)
        cache = open(os.path.join(BUILD, "CMakeCache.txt")).read()
        if re.search(r"CMAKE_BUILD_TYPE:STRING=(RelWithDebInfo|Debug)", cache):
            self.assertEqual(len(self.ddebs), 1, self.ddebs)
            listing = run("dpkg-deb", "-c", self.ddebs[0]).stdout
            self.assertIn(f"./usr/lib/debug/.build-id/{build_id[:2]}/{build_id[2:]}.debug",
                          listing)

    def test_installed_binary_runs(self):
        r = run(os.path.join(self.root, "usr/bin/ecompipe"), "--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "ecompipe " + self.field("Version"))

    def test_packaged_config_is_the_default_with_paths_under_var_lib(self):
        with open(os.path.join(self.root, "etc/ecompipe/ecompipe.yaml")) as f:
            packaged = f.read()
        with open(os.path.join(ROOT, "src/runtime/default_ecompipe.yaml")) as f:
            default = f.read()
        paths = re.findall(r"^[^#\n]*\bpath: ([^}\s]+)", packaged, re.M)
        self.assertEqual(sorted(paths), ["/var/lib/ecompipe/bucket",
                                         "/var/lib/ecompipe/notifications.jsonl",
                                         "/var/lib/ecompipe/state.db",
                                         "/var/lib/ecompipe/warehouse.db"])
        # Apart from the paths (and the comment saying where they are), the default itself.
        strip = lambda text: [l for l in text.splitlines() if "path:" not in l and "relative" not in
                              l and "ecompipe package" not in l and "StateDirectory" not in l]
        self.assertEqual(strip(packaged), strip(default))

    def test_man_page_and_completions_come_from_the_help(self):
        with gzip.open(os.path.join(self.root, "usr/share/man/man1/ecompipe.1.gz"), "rt") as f:
            page = f.read()
        self.assertTrue(page.startswith(".TH ECOMPIPE 1"))
        commands = re.findall(r"^  (\S+)  ", run(os.path.join(self.root, "usr/bin/ecompipe"),
                                                 "--help").stdout.split("Subcommands:")[1], re.M)
        self.assertIn("serve", commands)
        for c in commands:
            self.assertIn('.SS "ecompipe ' + c.replace("-", "\\-"), page)
        if shutil.which("man"):
            r = run("man", "--warnings", "-l", "-", input=page, env={**os.environ, "MANWIDTH": "80"})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, "")
        script = ("source usr/share/bash-completion/completions/ecompipe\n"
                  "COMP_WORDS=(ecompipe ru); COMP_CWORD=1; _ecompipe; echo \"${COMPREPLY[*]}\"\n"
                  "COMP_WORDS=(ecompipe runs --format ''); COMP_CWORD=3; _ecompipe; "
                  "echo \"${COMPREPLY[*]}\"\n")
        r = run("bash", "-c", script, cwd=self.root)
        self.assertEqual(r.stdout.splitlines(), ["runs", "table csv json"], r.stderr)
        if shutil.which("zsh"):
            r = run("zsh", "-n", os.path.join(self.root, "usr/share/zsh/vendor-completions/_ecompipe"))
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_lintian_reports_no_errors_or_warnings(self):
        r = run("lintian", "--tag-display-limit", "0", "-I", self.deb)
        tags = re.findall(r"^([EWIP]): ecompipe: (\S+)", r.stdout, re.M)
        unexpected = [t for t in tags if t[0] in "EW" or t[1] not in ALLOWED_LINTIAN_TAGS]
        self.assertEqual(unexpected, [], r.stdout)

    def test_systemd_analyze_verify_accepts_the_unit(self):
        # The unit is checked inside the unpacked root, so its ExecStart= is the package's own
        # binary; the root gets the host's targets and kill(1), which a real system has.
        root = os.path.join(self.tmp, "verify-root")
        shutil.copytree(self.root, root)
        units = os.path.join(root, "lib/systemd/system")
        for target in glob.glob("/lib/systemd/system/*.target"):
            shutil.copy(target, units)
        os.makedirs(os.path.join(root, "bin"), exist_ok=True)
        shutil.copy("/bin/kill", os.path.join(root, "bin/kill"))
        unit = os.path.join(units, "ecompipe.service")
        r = run("systemd-analyze", "verify", "--man=no", f"--root={root}", unit)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        with open(unit) as f:
            text = f.read()
        for line in ("Type=notify", "User=ecompipe", "StateDirectory=ecompipe",
                     "ConfigurationDirectory=ecompipe", "ProtectSystem=strict",
                     "NoNewPrivileges=yes", "PrivateTmp=yes", "ReadWritePaths=/var/lib/ecompipe",
                     "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                     "ExecStart=/usr/bin/ecompipe serve -c /etc/ecompipe/ecompipe.yaml"):
            self.assertIn(line + "\n", text)


if __name__ == "__main__":
    unittest.main()
