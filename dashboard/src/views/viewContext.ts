// What every view gets from the shell: the API client, the current scope, navigation, and where to report errors.
import type { ApiClient, Scope } from '../ui/apiClient.js';
import type { DashboardRoute } from '../model/dashboardRoute.js';
import type { DashboardSettings } from '../ui/dashboardSettings.js';

export interface ViewContext {
  api: ApiClient;
  settings: DashboardSettings;
  navigate(route: DashboardRoute): void;
  /** Shows an error (an ApiError with its CloudError code, message and target) in the page's alert region. */
  reportError(error: unknown): void;
  /** Refreshes the current view now (after a change), without waiting for the next tick. */
  refreshSoon(): void;
}

export interface View {
  element: HTMLElement;
  /** Re-reads the API and updates the live parts in place. Errors propagate to the shell. */
  refresh(): Promise<void>;
}

export function scopeOf(ctx: ViewContext, resourceGroup: string, workspace: string): Scope {
  return { subscriptionId: ctx.settings.subscriptionId, resourceGroup, workspace };
}
