#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports
from __future__ import annotations

DOCUMENTATION = r"""
module: risk_report
short_description: Score a client's devices, compare with the last run, write reports, gate a pipeline
version_added: 0.1.0
description:
  - Takes the results of M(iotguard.hardening.risk_assess) for every device of a client,
    rates each finding as NIST SP 800-30 Rev. 1 does (likelihood x impact, Table I-2), builds
    the risk register (one row per root cause, stable IDs, owner, priority, due date, status)
    and the action plan, applies the client's accepted risks, and compares with the previous
    run (new, fixed, unchanged, not re-checked). The report explains how each number was reached.
  - Writes C(<report_dir>/<client>/<UTC stamp>/) with C(report.html) (self-contained, for the
    client; its print stylesheet makes the PDF), C(report.json) (versioned schema),
    C(findings.csv) (the register) and C(findings.sarif), then points
    C(<report_dir>/<client>/latest) at it. The directory appears only when every file is
    complete.
  - The gate (O(fail_on_severity), O(fail_on)) fails the task after the report is written,
    so a pipeline stops on high-risk findings and still keeps the report.
  - In check mode nothing is written; the scores, the comparison and the gate still run.
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Builds the report and applies the gate without writing any file.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller.
options:
  client:
    description: The client's name; names the report directory (letters, digits, C(.), C(_), C(-)).
    type: str
    required: true
  results:
    description: The registered results of M(iotguard.hardening.risk_assess), one per device.
    type: list
    elements: dict
    required: true
  report_dir:
    description: Directory that holds one sub-directory per client.
    type: path
    required: true
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, html, csv, sarif]
    default: [json, html, csv, sarif]
  previous:
    description:
      - The C(report.json) of the run to compare with. Default is the client's C(latest)
        report in O(report_dir); an empty value there means this is the first run.
    type: path
  fail_on_severity:
    description:
      - Fail when a finding at or above this severity is present (or new, see O(fail_on)).
      - C(none) never fails.
    type: str
    choices: [none, info, low, medium, high, critical]
    default: none
  fail_on:
    description: C(any) gates on every finding, C(new) only on findings the previous run did not have.
    type: str
    choices: [any, new]
    default: any
  fail_on_incomplete:
    description: Fail, after writing the report (which says so), when a device could not be assessed.
    type: bool
    default: true
  accepted_risks:
    description:
      - The client's accepted risks, kept versioned in the client's inventory (group_vars). Each
        record names C(id), C(rule), C(devices) (names as the report shows them, or inventory
        names), C(accepted_by) (and optionally C(role)), C(accepted_on), C(review_by) (YYYY-MM-DD),
        C(residual_risk), optionally C(control) (the compensating control) and C(version).
      - A matching finding is shown as accepted (compensated when a control is named), apart from
        the open ones and never as fixed; after C(review_by) it is open again.
    type: list
    elements: dict
    default: []
  policy:
    description:
      - The client's policy. C(due_days) maps priorities P1..P5 to days from first seen to the due
        date; C(ephi_classes) lists device classes holding ePHI besides medical and workstation;
        C(vendor_contacts) maps vendor names to their support contact.
    type: dict
    default: {}
  kev_catalog:
    description:
      - Path of a local copy of CISA's Known Exploited Vulnerabilities catalogue
        (C(known_exploited_vulnerabilities.json)); never fetched. Without it CVEs are listed but
        none is marked as known exploited.
    type: path
  branding:
    description:
      - The report's cover and sign-off page. Keys C(practice), C(msp), C(assessor),
        C(security_official), C(practice_signatory) (text) and C(logo) (path of a PNG, JPEG or SVG
        file of at most 512 KiB, embedded in the report).
    type: dict
    default: {}
  rotation_summary:
    description:
      - The credential rotation's summary (C(credential-rotation.json)) whose list of accounts
        the rotation could not close, with the reason and the manual step, goes into the
        report. Default the one beside the client's reports, when a real (not check mode)
        rotation wrote it.
    type: path
  hardening_summary:
    description:
      - The device hardening summary (C(device-hardening.json)). An open finding of a device
        that cannot close it itself, with a compensating control the gateway took for it,
        is reported as C(compensated) with the control, never as fixed. A missing lockout is
        compensated by the rate limit; a telnet or FTP the driver cannot switch off only by a
        management-only control (new connections only from the management zones) that covers
        its port, on a device the probe outside the VPN reached on none of its ports, with
        the residual said (the devices of its own VLAN still reach it, in clear text).
        Missing - none.
    type: path
  segmentation_summary:
    description:
      - The VLAN segmentation summary (C(segmentation.json)). A device on an end-of-life zone
        (or on C(quarantine), where an end-of-life device of a class without one goes) whose
        isolation was re-checked in the gateway's live table (only the zones
        segmentation gave it can open a connection to it) has its DICOM-without-authentication,
        SMBv1 and end-of-life findings reported as C(compensated) by that isolation, with the
        rules found, never as fixed; also when the zone's policy now hides the device from the
        assessment (not re-checked). Missing - none.
    type: path
  secrets:
    description:
      - Strings that must never appear in a report (for example the credentials tried). When
        one shows up in a rendered file nothing is written and the task fails.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Write the client's report and fail on new high findings
  iotguard.hardening.risk_report:
    client: clinic
    results: "{{ ansible_play_hosts | map('extract', hostvars, '__risk_assessment_result') | list }}"
    report_dir: "{{ playbook_dir }}/../reports"
    fail_on_severity: high
    fail_on: new
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
cannot_rotate:
  description:
    - The accounts the credential rotation could not close, with the reason and the manual
      step (no secret).
  returned: success
  type: list
  elements: dict
path:
  description: The dated directory written (not set in check mode).
  returned: success
  type: str
  sample: reports/clinic/20261124T180000Z
files:
  description: The files written, by format.
  returned: success
  type: dict
complete:
  description: False when a device could not be assessed; the report says so too.
  returned: always
  type: bool
summary:
  description: Counts of devices and findings by severity and class.
  returned: always
  type: dict
client_score:
  description: The client's score, band and how it was computed.
  returned: always
  type: dict
diff:
  description: New, fixed, unchanged and not re-checked findings versus the last run; null on the first.
  returned: always
  type: dict
actions:
  description: The top actions of the plan, each with the findings it closes and the risk points it removes.
  returned: always
  type: list
  elements: dict
gate:
  description: The findings that broke the gate (empty when it passed).
  returned: always
  type: list
  elements: str
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import compensation, report


def main():
    module = AnsibleModule(
        argument_spec=dict(
            client=dict(type="str", required=True),
            results=dict(type="list", elements="dict", required=True),
            report_dir=dict(type="path", required=True),
            formats=dict(
                type="list", elements="str", choices=list(report.FORMATS), default=list(report.FORMATS)
            ),
            previous=dict(type="path"),
            fail_on_severity=dict(
                type="str", default="none", choices=["none", "info", "low", "medium", "high", "critical"]
            ),
            fail_on=dict(type="str", default="any", choices=["any", "new"]),
            fail_on_incomplete=dict(type="bool", default=True),
            secrets=dict(type="list", elements="str", default=[], no_log=True),
            accepted_risks=dict(type="list", elements="dict", default=[]),
            policy=dict(type="dict", default={}),
            kev_catalog=dict(type="path"),
            branding=dict(type="dict", default={}),
            rotation_summary=dict(type="path"),
            hardening_summary=dict(type="path"),
            segmentation_summary=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    try:
        report.check_client(p["client"])
        if p["previous"]:
            previous = report.load_report(p["previous"])
        else:
            previous = report.load_previous(p["report_dir"], p["client"])
        doc = report.build(
            p["client"],
            p["results"],
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            previous,
            accepted_risks=p["accepted_risks"],
            policy=p["policy"],
            kev_catalog=report.load_kev(p["kev_catalog"]),
            branding=report.check_branding(p["branding"]),
            rotation=(
                report.load_rotation_file(p["rotation_summary"])
                if p["rotation_summary"]
                else report.load_rotation(p["report_dir"], p["client"])
            ),
            compensations=compensation.load(p["hardening_summary"])
            + compensation.load(p["segmentation_summary"]),
        )
        files = report.render(doc, p["formats"])
        leaked = [name for name, text in files.items() for s in p["secrets"] if s and s in text]
        if leaked:
            module.fail_json(
                msg="a secret would appear in %s; nothing was written (report a bug)"
                % ", ".join(sorted(set(leaked)))
            )
        failed_gate = report.gate(doc, p["fail_on_severity"], p["fail_on"])
        result = dict(
            changed=False,
            complete=doc["complete"],
            summary=doc["summary"],
            client_score=doc["client_score"],
            sites=doc["sites"],
            diff=doc["diff"],
            actions=doc["actions"][:10],
            gate=failed_gate,
            not_assessed=doc["not_assessed"],
            cannot_rotate=doc["cannot_rotate"],
        )
        if not module.check_mode:
            path = report.write(p["report_dir"], p["client"], now.strftime("%Y%m%dT%H%M%SZ"), files)
            result.update(changed=True, path=path, files={n: os.path.join(path, n) for n in files})
    except report.ReportError as exc:
        module.fail_json(msg=str(exc))
    if failed_gate:
        module.fail_json(
            msg="gate: %d finding(s) at or above %s%s: %s"
            % (
                len(failed_gate),
                p["fail_on_severity"],
                " (new)" if p["fail_on"] == "new" else "",
                "; ".join(failed_gate[:20]),
            ),
            **result,
        )
    if not doc["complete"] and p["fail_on_incomplete"]:
        module.fail_json(
            msg="incomplete assessment: %s could not be assessed (%s); the report says so"
            % (
                ", ".join(n["name"] for n in doc["not_assessed"]),
                "; ".join(e for n in doc["not_assessed"] for e in n["errors"])[:1000],
            ),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
