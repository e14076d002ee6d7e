import { TOOL_VERSION } from '../../base/version';
import { CHECKS, type FindingCode, type PolicyFinding, type Severity } from './findings';

/** SARIF 2.1.0, the format code-scanning tools (GitHub, VS Code's SARIF viewer) read. */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: {
    tool: {
      driver: {
        name: string;
        version: string;
        rules: {
          id: FindingCode;
          shortDescription: { text: string };
          defaultConfiguration: { level: SarifLevel };
        }[];
      };
    };
    artifacts: { location: { uri: string } }[];
    results: {
      ruleId: FindingCode;
      ruleIndex: number;
      level: SarifLevel;
      message: { text: string };
      locations: {
        physicalLocation: {
          artifactLocation: { uri: string; index: number };
          region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
        };
        logicalLocations?: { fullyQualifiedName: string }[];
      }[];
    }[];
  }[];
}

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, SarifLevel> = { error: 'error', warning: 'warning', info: 'note' };

/** One SARIF log for the findings of several files; `uri` is each file's path as given (relative, with "/"). */
export function toSarif(files: { uri: string; findings: PolicyFinding[] }[]): SarifLog {
  const codes = Object.keys(CHECKS) as FindingCode[];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'coldkeep-policy-lint',
            version: TOOL_VERSION,
            rules: codes.map((id) => ({
              id,
              shortDescription: { text: CHECKS[id].title },
              defaultConfiguration: { level: LEVEL[CHECKS[id].severity] },
            })),
          },
        },
        artifacts: files.map((f) => ({ location: { uri: f.uri } })),
        results: files.flatMap((f, index) =>
          f.findings.map((finding) => ({
            ruleId: finding.code,
            ruleIndex: codes.indexOf(finding.code),
            level: LEVEL[finding.severity],
            message: { text: `${finding.message} ${finding.hint}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: f.uri, index },
                  region: {
                    startLine: finding.range.start.line,
                    startColumn: finding.range.start.column,
                    endLine: finding.range.end.line,
                    endColumn: finding.range.end.column,
                  },
                },
                ...(finding.document ? { logicalLocations: [{ fullyQualifiedName: finding.document }] } : {}),
              },
            ],
          })),
        ),
      },
    ],
  };
}
