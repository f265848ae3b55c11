#!/usr/bin/env python3
"""Turn one graded run into a grade (docs/homework.md, "Results").

    results.py grade RUNDIR --step NN --student NAME --out DIR
        RUNDIR holds what the sandbox and the suite wrote: criterion.json
        (Criterion's --json reporter), criterion.xml (--xml, for the times),
        events (the harness's crash/timeout/exe lines), build.status and
        build.log, status, leftovers, limits. Writes DIR/grade.json and
        DIR/junit.xml and prints the summary the student reads.
    results.py merge OUT FILE...
        one junit.xml (OUT.xml) and one JSON list (OUT.json) of several
        grades (a student's steps).
    results.py check FILE...
        every grade.json and junit.xml parses and holds its tests.

Only the standard library: json, xml.etree, re.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def load_criterion(path):
    """Criterion's JSON report. Criterion 2.4.1 writes the assertion
    messages unescaped (a quote or a tab in a runtime's stderr breaks the
    file; 2.4.2 escapes them): when the file does not parse, re-encode
    each message line, which the reporter always writes alone on its line
    between quotes. Read with newline="": a carriage return in a message
    (a pty's "\r\n") is one of its characters, not the end of a line."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            text = f.read()
    except OSError:
        text = ""
    if not text.strip():
        return None
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    out, inside = [], False
    for line in text.split("\n"):
        m = re.match(r'^(\s*"messages": \[)"(.*)"(\],?)$', line)
        if m:
            line = m.group(1) + json.dumps(m.group(2)) + m.group(3)
        elif re.match(r'^\s*"messages": \[$', line):
            inside = True
        elif inside and re.match(r"^\s*\],?$", line):
            inside = False
        elif inside:
            m = re.match(r'^(\s*)"(.*)"(,?)$', line)
            if m:
                line = m.group(1) + json.dumps(m.group(2)) + m.group(3)
        out.append(line)
    try:
        return json.loads("\n".join(out), strict=False)
    except ValueError:
        return None


def criterion_times(path):
    """suite::test -> seconds, from the testcase lines of Criterion's XML
    (its attributes are well-formed even where its text is not)."""
    times, suite = {}, None
    for line in read(path).split("\n"):
        m = re.search(r'<testsuite name="([^"]*)"', line)
        if m:
            suite = m.group(1)
        m = re.search(r'<testcase name="([^"]*)".* time="([0-9.]+)"', line)
        if m and suite:
            times[suite + "::" + m.group(1)] = float(m.group(2))
    return times


def descriptions():
    """suite::test -> what it checks, from docs/homework.md: under a heading
    "### SUITE[, SUITE]... — title" (stepNN_x: every step's x suite), one
    line "- `test`[, `test`]...[ (03–08)]: what it checks"."""
    found, suites = {}, []
    for line in read(os.path.join(ROOT, "docs", "homework.md")).split("\n"):
        if line.startswith("## "):
            suites = []
            continue
        m = re.match(r"^### (step[0-9N][0-9N][A-Za-z0-9_]*(?:, step[0-9N][0-9N][A-Za-z0-9_]*)*) ", line)
        if m:
            suites = m.group(1).split(", ")
            continue
        m = re.match(r"^- ((?:`[A-Za-z0-9_]+`(?:, )?)+)(?: \([^)]*\))?: (.*)$", line)
        if m and suites:
            text = m.group(2).replace("`", "")
            for t in re.findall(r"`([A-Za-z0-9_]+)`", m.group(1)):
                for suite in suites:
                    found[suite + "::" + t] = text
    return found


def lookup(table, name):
    """TABLE[NAME], where a key's stepNN stands for any step."""
    if name in table:
        return table[name]
    generic = re.sub(r"^step[0-9][0-9]", "stepNN", name)
    return table.get(generic, table.get(name.split("::")[0] + "::*",
                                        table.get(generic.split("::")[0] + "::*", "")))


def hints():
    """suite::test -> a one-line hint, from tests/hints.txt (stepNN_x::test
    for every step's x suite, SUITE::* for a whole suite)."""
    found = {}
    for line in read(os.path.join(ROOT, "tests", "hints.txt")).split("\n"):
        if line.startswith("#") or "\t" not in line:
            continue
        name, hint = line.split("\t", 1)
        found[name.strip()] = hint.strip()
    return found


def events(path):
    """suite::test -> {kind: [details]} from the harness's GRADE_EVENTS."""
    found = {}
    for line in read(path).split("\n"):
        parts = line.split("\t")
        if len(parts) == 3:
            found.setdefault(parts[1], {}).setdefault(parts[0], []).append(parts[2])
    return found


def ours(suite, step):
    return suite == "step" + step or suite.startswith("step" + step + "_")


def collect_tests(report, step):
    """The tests of step STEP's suites: (name, Criterion status, messages)."""
    tests = []
    for s in (report or {}).get("test_suites", []):
        if not ours(s.get("name", ""), step):
            continue
        for t in s.get("tests", []):
            tests.append((s["name"] + "::" + t["name"], t.get("status", ""),
                          t.get("messages", [])))
    return sorted(tests)


def classify(status, messages, ev):
    """passed, failed, crashed, timed out or skipped. Criterion's own
    ERRORED (its worker crashed or hit .timeout) and the harness's events
    (the runtime crashed, a run was killed at its deadline) both count."""
    if status == "PASSED":
        return "passed"
    if status == "SKIPPED":
        return "skipped"
    text = " ".join(messages)
    if status == "ERRORED":
        return "timed out" if "timed out" in text else "crashed"
    if "crash" in ev:
        return "crashed"
    if "timeout" in ev:
        return "timed out"
    return "failed"


def grade(args):
    run, step, student, out = args["rundir"], args["step"], args["student"], args["out"]
    desc, hint = descriptions(), hints()
    result = {
        "student": student,
        "step": step,
        "score": 0,
        "max": 0,
        "status": "graded",
        "message": "",
        "crashed": 0,
        "timed_out": 0,
        "limits": [l for l in read(os.path.join(run, "limits")).split("\n") if l],
        "tests": [],
    }
    build = read(os.path.join(run, "build.status")).strip()
    sandbox = read(os.path.join(run, "status")).strip()
    report = load_criterion(os.path.join(run, "criterion.json"))
    tests = collect_tests(report, step)
    names = [l.strip() for l in read(os.path.join(run, "tests")).split("\n") if l.strip()]
    ev = events(os.path.join(run, "events"))
    times = criterion_times(os.path.join(run, "criterion.xml"))
    exe = [d for e in ev.values() for d in e.get("exe", [])]

    if args.get("missing"):
        result["status"] = "missing"
        result["message"] = "no step%s directory in the submission" % step
    elif build and build != "0":
        errors = [l for l in read(os.path.join(run, "build.log")).split("\n")
                  if "error" in l or "warning" in l][:8]
        result["status"] = "build failed"
        result["message"] = "does not compile:\n" + "\n".join(errors)
    elif sandbox == "timeout" or not tests:
        result["status"] = "timed out" if sandbox == "timeout" else "no result"
        result["message"] = (
            "the suite did not finish within the time limit (%s s): nothing is counted" %
            args.get("time", "?") if sandbox == "timeout" else
            "the suite left no report (suite.log says why)")
        if result["limits"]:
            result["message"] += "; it reached the sandbox's limit: " + \
                ", ".join(result["limits"])
    if result["status"] != "graded":
        # every check is lost, the sandbox's own included (when root: a
        # sandbox would have run it)
        if sandbox or os.geteuid() == 0:
            names = names + ["sandbox::cleans_up"]
        for n in names:
            result["tests"].append(test_entry(n, "not run", [], desc, hint, times))
        result["max"] = len(names)
        write(result, out)
        return result

    for name, status, messages in tests:
        entry = test_entry(name, classify(status, messages, ev.get(name, {})),
                           messages, desc, hint, times)
        result["tests"].append(entry)
    # The sandbox's own check, when there was a sandbox (not without root):
    # what the runs left behind.
    left = [l for l in read(os.path.join(run, "leftovers")).split("\n") if l]
    clean = {
        "name": "sandbox::cleans_up",
        "status": "failed" if left else "passed",
        "checks": "after the suite, the sandbox holds the mounts, network "
                  "links and processes it held before it (docs/homework.md)",
        "message": ("left behind: " + "; ".join(left)) if left else "",
        "hint": "every mount, link and process the runtime makes goes with "
                "it, on every path out (error paths included)" if left else "",
        "time": 0.0,
    } if sandbox else None
    if clean:
        result["tests"].append(clean)
    for t in result["tests"]:
        t["max"] = 0 if t["status"] == "skipped" else 1
        t["points"] = 1 if t["status"] == "passed" else 0
    result["max"] = sum(t["max"] for t in result["tests"])
    result["score"] = sum(t["points"] for t in result["tests"])
    result["crashed"] = sum(t["status"] == "crashed" for t in result["tests"])
    result["timed_out"] = sum(t["status"] == "timed out" for t in result["tests"])
    if exe:
        result["status"] = "another program ran"
        result["message"] = (
            "the runtime became another program (%s), not the build of this "
            "submission: a submission must not run another build of the step; "
            "score 0" % exe[0])
        result["score"] = 0
        for t in result["tests"]:
            t["points"] = 0
    elif result["limits"]:
        result["message"] = "reached the sandbox's limit: " + ", ".join(result["limits"])
    write(result, out)
    return result


def test_entry(name, status, messages, desc, hint, times):
    return {
        "name": name,
        "status": status,
        "checks": lookup(desc, name),
        "message": "\n".join(messages) if status != "passed" else "",
        "hint": lookup(hint, name) if status not in ("passed", "skipped") else "",
        "time": times.get(name, 0.0),
        "points": 0,
        "max": 0 if status == "skipped" else 1,
    }


def junit(results):
    """testsuites/testsuite/testcase with failure, error or skipped, the
    shape JUnit consumers (GitHub, GitLab, Jenkins) read."""
    top = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for r in results:
        suites = {}
        for t in r["tests"]:
            suite = t["name"].split("::")[0]
            suites.setdefault(suite, []).append(t)
        for suite, tests in suites.items():
            name = suite if not r["student"] else "%s.%s" % (r["student"], suite)
            s = ET.SubElement(top, "testsuite", name=name)
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            for t in tests:
                case = ET.SubElement(s, "testcase", classname=name,
                                     name=t["name"].split("::", 1)[1],
                                     time="%.3f" % t.get("time", 0.0))
                counts["tests"] += 1
                text = "\n".join(x for x in (
                    t["message"], t["checks"] and "checks: " + t["checks"],
                    t["hint"] and "hint: " + t["hint"]) if x)
                first = (t["message"] or t["status"]).split("\n")[0]
                if t["status"] == "skipped":
                    ET.SubElement(case, "skipped", message=first)
                    counts["skipped"] += 1
                elif t["status"] in ("crashed", "timed out", "not run"):
                    e = ET.SubElement(case, "error", type=t["status"], message=first)
                    e.text = text
                    counts["errors"] += 1
                elif t["status"] != "passed" or t["points"] == 0 and t["max"]:
                    f = ET.SubElement(case, "failure", type=t["status"], message=first)
                    f.text = text or r["message"]
                    counts["failures"] += 1
            for k, v in counts.items():
                s.set(k, str(v))
                totals[k] += v
            s.set("time", "%.3f" % sum(t.get("time", 0.0) for t in tests))
    for k, v in totals.items():
        top.set(k, str(v))
    ET.indent(top)
    return ET.tostring(top, encoding="unicode", xml_declaration=True) + "\n"


def write(result, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "grade.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(out, "junit.xml"), "w", encoding="utf-8") as f:
        f.write(junit([result]))


def summary(r, verbose, details):
    """The lines a student reads."""
    who = (r["student"] + " ") if r["student"] else ""
    extra = []
    skipped = sum(t["status"] == "skipped" for t in r["tests"])
    if r["crashed"]:
        extra.append("%d crashed" % r["crashed"])
    if r["timed_out"]:
        extra.append("%d timed out" % r["timed_out"])
    if skipped:
        extra.append("%d skipped" % skipped)
    if r["status"] != "graded":
        extra.insert(0, r["status"])
    line = "%sstep%s: %d/%d checks passed" % (who, r["step"], r["score"], r["max"])
    if extra:
        line += " (" + ", ".join(extra) + ")"
    lines = [line]
    if not verbose:
        return lines
    if r["message"]:
        lines += ["    " + l for l in r["message"].split("\n")]
    for t in r["tests"]:
        if t["status"] in ("passed", "skipped", "not run"):
            continue
        lines.append("    %s %s" % (t["status"].upper(), t["name"]))
        if t["checks"]:
            lines.append("      checks: " + t["checks"])
        for l in t["message"].split("\n")[:8]:
            if l.strip():
                lines.append("      " + re.sub(r"^tests/[a-z0-9_]+\.c:[0-9]+: ", "", l))
        if t["hint"]:
            lines.append("      hint: " + t["hint"])
    if details:
        lines.append("    details: " + details)
    return lines


def check(files):
    """Each grade.json and junit.xml parses and holds every test."""
    bad = 0
    for f in files:
        try:
            if f.endswith(".json"):
                d = json.load(open(f, encoding="utf-8"))
                for r in d if isinstance(d, list) else [d]:
                    assert {"step", "score", "max", "tests"} <= r.keys(), "keys"
                    assert r["tests"], "no tests"
                    for t in r["tests"]:
                        assert {"name", "status", "points", "message"} <= t.keys(), t
                    assert r["score"] == sum(t["points"] for t in r["tests"]) or \
                        r["status"] == "another program ran", "score"
            else:
                root = ET.parse(f).getroot()
                assert root.tag == "testsuites", root.tag
                cases = root.findall("testsuite/testcase")
                assert cases, "no testcase"
                assert int(root.get("tests")) == len(cases), "tests="
        except (AssertionError, ValueError, ET.ParseError, OSError, KeyError) as e:
            print("results: %s: %s" % (f, e), file=sys.stderr)
            bad = 1
    return bad


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "grade":
        args = {"rundir": argv[2], "student": "", "out": argv[2]}
        i = 3
        while i < len(argv):
            key = argv[i].lstrip("-")
            if key in ("missing", "verbose"):
                args[key] = True
                i += 1
            else:
                args[key] = argv[i + 1]
                i += 2
        r = grade(args)
        print("\n".join(summary(r, args.get("verbose"), args.get("details"))))
        full = r["status"] == "graded" and r["max"] > 0 and r["score"] == r["max"]
        return 0 if full else 1
    if cmd == "merge":
        results = [json.load(open(f, encoding="utf-8")) for f in argv[3:]]
        with open(argv[2] + ".json", "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2, ensure_ascii=False)
            f.write("\n")
        with open(argv[2] + ".xml", "w", encoding="utf-8") as f:
            f.write(junit(results))
        return 0
    if cmd == "check":
        return check(argv[2:])
    if cmd == "passed":
        # passed GRADE.json SUITE::TEST: 0 when that test passed (a
        # Classroom runner per test)
        r = json.load(open(argv[2], encoding="utf-8"))
        for t in r["tests"]:
            if t["name"] == argv[3]:
                if t["points"] or t["status"] == "skipped":
                    return 0
                print("%s: %s" % (t["name"], t["message"] or t["status"]))
                return 1
        print("%s: not in %s" % (argv[3], argv[2]))
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
