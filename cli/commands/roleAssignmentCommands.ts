// `batchai role-assignment create|show|list|delete`: who holds which role on a workspace (an extension; see
// docs/security.md). Changing assignments needs the owner role.
import type { PrincipalType, WorkspaceRole } from '../../shared/client/extensionTypes';
import type { OptionSpec } from '../argumentParser';
import type { CommandOptions } from '../commandOptions';
import type { CommandSpec } from '../commandSpec';
import { resourceGroupOption, workspaceOption, yesOption } from '../commonOptions';

const scope = [resourceGroupOption, workspaceOption];
const principalIdOption: OptionSpec = {
  name: 'principal-id',
  type: 'string',
  required: true,
  description: 'Entra ID object id (GUID) of the user, group or service principal.',
};

function where(options: CommandOptions): [string, string, string] {
  return [
    options.requiredText('resource-group'),
    options.requiredText('workspace'),
    options.requiredText('principal-id'),
  ];
}

export const roleAssignmentCommands: CommandSpec[] = [
  {
    path: ['role-assignment', 'create'],
    summary: 'Give a principal a role on the workspace (or change its role).',
    options: [
      ...scope,
      principalIdOption,
      {
        name: 'role',
        type: 'string',
        required: true,
        choices: ['reader', 'contributor', 'owner'],
        description: 'The role.',
      },
      {
        name: 'principal-type',
        type: 'string',
        choices: ['User', 'Group', 'ServicePrincipal'],
        description: 'What the principal is. Default User.',
      },
    ],
    examples: ['batchai role-assignment create -g rg -w ws --principal-id <object-id> --role contributor'],
    async run({ client, options }) {
      const principalType = options.text('principal-type') as PrincipalType | undefined;
      const value = await client.roleAssignments.createOrUpdate(...where(options), {
        properties: {
          role: options.requiredText('role') as WorkspaceRole,
          ...(principalType ? { principalType } : {}),
        },
      });
      return { value, view: 'roleAssignment' };
    },
  },
  {
    path: ['role-assignment', 'show'],
    summary: "Show a principal's role assignment on the workspace.",
    options: [...scope, principalIdOption],
    async run({ client, options }) {
      return { value: await client.roleAssignments.get(...where(options)), view: 'roleAssignment' };
    },
  },
  {
    path: ['role-assignment', 'list'],
    summary: 'List the role assignments of a workspace.',
    options: scope,
    async run({ client, options }) {
      const list = client.roleAssignments.list(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
      );
      return { value: await list.toArray(), view: 'roleAssignment' };
    },
  },
  {
    path: ['role-assignment', 'delete'],
    summary: "Remove a principal's role assignment (the last owner cannot be removed).",
    options: [...scope, principalIdOption, yesOption],
    async run({ client, options, io }) {
      if (!(await client.roleAssignments.delete(...where(options))))
        io.stderr('There was no such role assignment.\n');
      return {};
    },
  },
];
