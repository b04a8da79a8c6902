"""Running ecompipe as a service: --version, the systemd readiness protocol, logs, reload."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN, PipelineTest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        return re.search(r"project\(ecompipe VERSION (\S+)", f.read()).group(1)


class VersionTest(unittest.TestCase):
    def test_version_names_version_commit_build_type_and_features(self):
        r = subprocess.run([BIN, "--version"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "ecompipe " + project_version())
        fields = dict(line.split(": ", 1) for line in lines[1:])
        self.assertEqual(set(fields), {"commit", "build type", "features"})
        self.assertRegex(fields["commit"], r"^([0-9a-f]{12}(-dirty)?|unknown)$")
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True)
        if head.returncode == 0:  # built from this checkout
            self.assertEqual(fields["commit"].split("-")[0], head.stdout.strip())
        self.assertIn(fields["build type"], {"Release", "RelWithDebInfo", "Debug", "MinSizeRel"})

    def run_build_info_script(self, source_dir, commit=""):
        out = os.path.join(self.tmp, "build_info.cc")
        subprocess.run(["cmake", f"-DSOURCE_DIR={source_dir}", f"-DOUT={out}", "-DVERSION=9.8.7",
                        "-DBUILD_TYPE=Release", "-DFEATURES=", f"-DGIT_COMMIT={commit}", "-P",
                        os.path.join(ROOT, "cmake", "build_info.cmake")], check=True,
                       capture_output=True, env={k: v for k, v in os.environ.items()
                                                 if not k.startswith("GIT_")})
        with open(out) as f:
            return f.read()

    def test_a_tree_without_git_says_unknown_or_the_commit_given(self):
        self.tmp = tempfile.mkdtemp(prefix="ecompipe-build-info-")
        self.addCleanup(shutil.rmtree, self.tmp)
        source = os.path.join(self.tmp, "src")  # an unpacked source archive: no .git
        os.mkdir(source)
        self.assertIn('{"9.8.7", "unknown", "Release", ""}', self.run_build_info_script(source))
        self.assertIn('{"9.8.7", "0123456789ab", "Release", ""}',
                      self.run_build_info_script(source, commit="0123456789ab"))


if __name__ == "__main__":
    unittest.main()
