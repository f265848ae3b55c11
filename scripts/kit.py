#!/usr/bin/env python3
"""Hand-out kits: one step's homework without its solution (docs/homework.md,
"Handing out").

    kit.py make NN [DIR]     DIR/kit-stepNN.tar.gz (DIR defaults to .)
    kit.py check NN PATH     no code of step NN's solution in PATH (a kit
                             directory or tarball); exit 1 naming what leaks

A kit holds the repository's tracked files but: the step directories of
step NN and later (step NN is there as its skeleton, homework/stepNN-*/);
the chapters after NN; bench/ and .ci/; in every document, step NN's
diff and any listing that quotes its solution; links to what is not in
the kit, turned into plain text. It adds .github/workflows/classroom.yml,
an example GitHub Classroom workflow that grades step NN one test per
runner.

"Code of the solution": every block that step NN's markers delimit
(scripts/homework.sh blocks), compared line by line with blanks, comments
and generic lines (braces, `return -1;`, `goto out;`) left out: three of
its lines in a row in a file of the kit, or all of a block of one or two
lines, is a leak.
"""
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

GENERIC = {
    "{", "}", "};", "else", "else{", "}else{", "}else", "break;", "continue;",
    "return0;", "return-1;", "returnret;", "returnrc;", "gotoout;", "out:",
    "return1;", "returnfalse;", "returntrue;", "returnNULL;", "do{", "}while(0);",
}


def die(msg):
    print("kit: " + msg, file=sys.stderr)
    sys.exit(2)


def norm(line, markdown=False):
    """A line as compared: no blanks, no comment-only lines, no generic ones."""
    s = line.strip()
    if markdown and s[:1] in "+-" and not s.startswith(("+++", "---")):
        s = s[1:].strip()  # a diff line of a document
    if s.startswith(("/*", "*", "//")) or not s:
        return ""
    s = re.sub(r"\s+", "", s)
    return "" if s in GENERIC or len(s) < 12 else s


def step_dirs(root):
    out = {}
    for d in sorted(os.listdir(root)):
        m = re.match(r"^step([0-9][0-9])-", d)
        if m and os.path.isfile(os.path.join(root, d, "step%s.c" % m.group(1))):
            out[m.group(1)] = d
    return out


def solution_blocks(step):
    """[(where, [normalized lines])] of step STEP's marked blocks."""
    d = step_dirs(ROOT).get(step)
    if not d:
        die("no step %s here" % step)
    text = subprocess.run([os.path.join(ROOT, "scripts", "homework.sh"), "blocks", d],
                          cwd=ROOT, check=True, capture_output=True, text=True).stdout
    blocks, where, lines = [], None, []
    for line in text.split("\n"):
        if line.startswith("@@ "):
            if where:
                blocks.append((where, lines))
            where, lines = line[3:], []
        elif where:
            n = norm(line)
            if n:
                lines.append(n)
    if where:
        blocks.append((where, lines))
    return [(w, l) for w, l in blocks if len(l) >= 2 or (l and len(l[0]) >= 30)]


def ngrams(lines, n):
    return {tuple(lines[i:i + n]) for i in range(len(lines) - n + 1)}


def leaks(files, blocks):
    """[(file, block)] where FILES (name -> text) quote a block."""
    found = []
    for name, text in files.items():
        md = name.endswith(".md")
        lines = [x for x in (norm(l, md) for l in text.split("\n")) if x]
        grams = {n: ngrams(lines, n) for n in (1, 2, 3)}
        for where, block in blocks:
            n = min(3, len(block))
            if ngrams(block, n) & grams[n]:
                found.append((name, where))
    return found


def text_files(top):
    out = {}
    for dirpath, _, names in os.walk(top):
        for f in names:
            p = os.path.join(dirpath, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as fh:
                data = fh.read()
            if b"\0" in data[:4096]:
                continue
            out[os.path.relpath(p, top)] = data.decode("utf-8", "replace")
    return out


# -------------------------------------------------------------- documents --
NOTE_DIFF = {
    "en": "> **Not in this kit:** this step's diff is its solution. After the "
          "deadline, `make diff STEP=%s` in the full repository shows it.",
    "zh": "> **本作业包中没有：**本步骤的 diff 就是它的答案。截止日期之后，"
          "在完整的仓库中运行 `make diff STEP=%s` 即可看到。",
}
NOTE_LISTING = {
    "en": "> **Not in this kit:** a listing of this step's solution.",
    "zh": "> **本作业包中没有：**一段本步骤答案的代码。",
}


def filter_doc(text, step, lang, blocks, present):
    """Drop step STEP's diff and every fenced block quoting its solution;
    turn links to documents that are not in the kit into plain text."""
    solution = {l for _, b in blocks for l in b}
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^<!-- diff:begin step([0-9][0-9]) -->", line)
        if m and m.group(1) >= step:
            while i < len(lines) and lines[i] != "<!-- diff:end -->":
                i += 1
            out.append(NOTE_DIFF[lang] % m.group(1))
            i += 1
            continue
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            fence = lines[i:j + 1]
            if any(norm(l, True) in solution for l in fence if norm(l, True)):
                out.append(NOTE_LISTING[lang])
            else:
                out.extend(fence)
            i = j + 1
            continue
        out.append(line)
        i += 1
    text = "\n".join(out)

    def unlink(m):
        target = m.group(2).split("#")[0]
        if not target.endswith(".md") or target.startswith(("http:", "https:")):
            return m.group(0)
        return m.group(0) if target in present else m.group(1)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", unlink, text)


# ------------------------------------------------------------- workflow ---
def suite_tests(step):
    """SUITE::TEST of step STEP's suites, from tests/*.c."""
    found = []
    for f in sorted(os.listdir(os.path.join(ROOT, "tests"))):
        if not f.endswith(".c"):
            continue
        with open(os.path.join(ROOT, "tests", f), encoding="utf-8") as fh:
            for m in re.finditer(r"^Test\((step%s(?:_[A-Za-z0-9_]+)?),\s*([A-Za-z0-9_]+)" % step,
                                 fh.read(), re.M):
                found.append(m.group(1) + "::" + m.group(2))
    return found


def workflow(step):
    """GitHub Classroom autograding: grade once in the sandbox, then one
    command-grader runner per test reads the result, so that Classroom
    shows each test with its point."""
    tests = suite_tests(step) + ["sandbox::cleans_up"]
    grade = "build/homework/grade/step%s/grade.json" % step
    y = []
    y.append("# GitHub Classroom autograding for step %s: an example (docs/homework.md," % step)
    y.append("# \"GitHub Classroom\"). Each student's own runner grades: a GitHub-hosted")
    y.append("# runner is a VM where root may make namespaces. It is cgroup v2 only, and")
    y.append("# Ubuntu 24.04 restricts unprivileged user namespaces (AppArmor): the job")
    y.append("# lifts that for the rootless tests (step06 on). Mark .github/, tests/,")
    y.append("# scripts/, mk/ and Makefile as protected paths in the assignment.")
    y.append("name: Autograding")
    y.append("'on':")
    y.append("  - push")
    y.append("  - workflow_dispatch")
    y.append("  - repository_dispatch")
    y.append("permissions:")
    y.append("  checks: write")
    y.append("  actions: read")
    y.append("  contents: read")
    y.append("jobs:")
    y.append("  grade:")
    y.append("    runs-on: ubuntu-24.04")
    y.append("    if: github.actor != 'github-classroom[bot]'")
    y.append("    timeout-minutes: 20")
    y.append("    steps:")
    y.append("      - name: Checkout")
    y.append("        uses: actions/checkout@v4")
    y.append("      - name: Packages")
    y.append("        run: sudo scripts/deps.sh install")
    y.append("      - name: Unprivileged user namespaces for the rootless tests")
    y.append("        run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true")
    y.append("      - name: Grade step %s in the sandbox" % step)
    y.append("        run: sudo make grade STEP=%s || true" % step)
    y.append("      - name: Keep the report")
    y.append("        if: always()")
    y.append("        uses: actions/upload-artifact@v4")
    y.append("        with:")
    y.append("          name: grade-step%s" % step)
    y.append("          path: |")
    y.append("            build/homework/grade/step%s/grade.json" % step)
    y.append("            build/homework/grade/step%s/junit.xml" % step)
    y.append("            build/homework/grade/step%s/suite.log" % step)
    ids = []
    for i, t in enumerate(tests, 1):
        rid = "t%02d" % i
        ids.append(rid)
        y.append("      - name: %s" % t)
        y.append("        id: %s" % rid)
        y.append("        uses: classroom-resources/autograding-command-grader@v1")
        y.append("        with:")
        y.append("          test-name: %s" % t)
        y.append("          command: python3 scripts/results.py passed %s %s" % (grade, t))
        y.append("          timeout: 1")
        y.append("          max-score: 1")
    y.append("      - name: Report")
    y.append("        uses: classroom-resources/autograding-grading-reporter@v1")
    y.append("        env:")
    for rid in ids:
        y.append("          %s_RESULTS: \"${{ steps.%s.outputs.result }}\"" % (rid.upper(), rid))
    y.append("        with:")
    y.append("          runners: %s" % ",".join(ids))
    return "\n".join(y) + "\n"


# ------------------------------------------------------------------ make ---
def keep(path, step, steps):
    top = path.split("/")[0]
    m = re.match(r"^step([0-9][0-9])-", top)
    if m:
        return m.group(1) < step
    if top in ("bench", ".ci", ".github", "homework", "build"):
        return False
    m = re.match(r"^docs/(?:zh/)?([0-9][0-9])-.*\.md$", path)
    if m:
        return m.group(1) <= step
    if re.match(r"^docs/(?:zh/)?(benchmarks\.md|bench-)", path):
        return False
    return True


def make(step, outdir):
    steps = step_dirs(ROOT)
    if step not in steps:
        die("no step %s here (make kit STEP=NN)" % step)
    try:
        files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        die("make kit needs the repository's git checkout (git ls-files)")
    blocks = solution_blocks(step)
    name = "kit-step%s" % step
    stage = tempfile.mkdtemp(prefix="nsw-kit-")
    try:
        top = os.path.join(stage, name)
        os.makedirs(top)
        kept = [f for f in files if f and keep(f, step, steps) and os.path.lexists(os.path.join(ROOT, f))]
        present = {f for f in kept}
        for f in kept:
            dst = os.path.join(top, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), dst, follow_symlinks=False)
        for f in kept:
            if not f.endswith(".md"):
                continue
            p = os.path.join(top, f)
            lang = "zh" if f.startswith("docs/zh/") else "en"
            base = os.path.dirname(f)
            here = {os.path.relpath(x, base) for x in present}
            with open(p, encoding="utf-8") as fh:
                text = fh.read()
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(filter_doc(text, step, lang, blocks, here))
        subprocess.run([os.path.join(ROOT, "scripts", "homework.sh"), "make",
                        os.path.join(top, "homework"), step], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        os.makedirs(os.path.join(top, ".github", "workflows"))
        with open(os.path.join(top, ".github", "workflows", "classroom.yml"), "w") as fh:
            fh.write(workflow(step))
        bad = leaks(text_files(top), blocks)
        for f, where in bad:
            print("kit: %s quotes step %s's solution (%s)" % (f, step, where), file=sys.stderr)
        if bad:
            die("not writing a kit that holds the solution")
        os.makedirs(outdir, exist_ok=True)
        out = os.path.join(outdir, name + ".tar.gz")
        with tarfile.open(out, "w:gz") as tar:
            tar.add(top, arcname=name)
        print("kit: %s (homework/%s: the skeleton; steps before it solved; %d files)" %
              (out, steps[step], len(kept)))
    finally:
        shutil.rmtree(stage)


def check(step, path):
    blocks = solution_blocks(step)
    if os.path.isdir(path):
        files = text_files(path)
    else:
        files = {}
        with tarfile.open(path) as tar:
            for m in tar.getmembers():
                if not m.isfile():
                    continue
                data = tar.extractfile(m).read()
                if b"\0" not in data[:4096]:
                    files[m.name] = data.decode("utf-8", "replace")
    bad = leaks(files, blocks)
    for f, where in bad:
        print("kit: %s quotes step %s's solution (%s)" % (f, step, where))
    if not bad:
        print("kit: no code of step %s's %d solution blocks in %s (%d files)" %
              (step, len(blocks), path, len(files)))
    return 1 if bad else 0


def main(argv):
    if len(argv) < 3 or argv[1] not in ("make", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    step = "%02d" % int(argv[2].replace("step", ""))
    if argv[1] == "make":
        make(step, argv[3] if len(argv) > 3 else ".")
        return 0
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    return check(step, argv[3])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
