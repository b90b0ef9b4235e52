/**
 * The guard against a first deploy that pages and mails no one: every contact, sender and report
 * recipient of the shipped defaults is at a reserved example domain (RFC 2606), where mail is
 * never delivered. `cdk deploy` refuses such a configuration unless it is allowed on purpose.
 *
 * Pure: reads the configuration only.
 */
import { ConfigError, type PipelineConfig, REPORT_KINDS } from './schema';

const EXAMPLE_DOMAIN = /@(?:[a-z0-9-]+\.)*example\.(?:com|org|net)$/i;

/** Whether an address is at example.com, example.org or example.net (or a subdomain). */
export function isExampleAddress(address: string): boolean {
  return EXAMPLE_DOMAIN.test(address);
}

/** The keys of the configuration holding an example-domain address, with the address. */
export function exampleAddressKeys(config: PipelineConfig): { key: string; address: string }[] {
  const out: { key: string; address: string }[] = [];
  const check = (key: string, address: string | undefined) => {
    if (address !== undefined && isExampleAddress(address)) out.push({ key, address });
  };
  for (const [id, contact] of Object.entries(config.escalation.contacts)) {
    check(`escalation.contacts.${id}.email`, contact.email);
  }
  check('escalation.senderEmail', config.escalation.senderEmail);
  check('reports.senderEmail', config.reports.senderEmail);
  for (const kind of REPORT_KINDS) {
    const schedule = config.reports.schedules[kind];
    if (!schedule.enabled) continue;
    schedule.recipients.forEach((r, i) => {
      check(`reports.schedules.${kind}.recipients.${i}`, r);
    });
  }
  return out;
}

/**
 * Refuses a configuration that would deliver pages or reports to example addresses.
 * @param allowedByContext `-c allowExampleAddresses=true` was given
 * @throws ConfigError naming every key to change and the switch that allows them
 */
export function assertDeliverableAddresses(config: PipelineConfig, source: string, allowedByContext = false): void {
  if (config.deployment.allowExampleAddresses || allowedByContext) return;
  const found = exampleAddressKeys(config);
  if (found.length === 0) return;
  throw new ConfigError(source, [
    ...found.map(({ key, address }) => ({
      key,
      rule: `is "${address}", at a reserved example domain that delivers nothing: set a real address`,
    })),
    {
      key: 'deployment.allowExampleAddresses',
      rule: 'set it to true (or pass -c allowExampleAddresses=true) only for a test deployment that may page and mail no one',
    },
  ]);
}
