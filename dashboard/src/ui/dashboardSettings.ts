// The user's scope settings (subscription id, resource group), remembered in localStorage between visits.

export interface DashboardSettings {
  subscriptionId: string;
  /** '' = every resource group of the subscription. */
  resourceGroup: string;
}

const storageKey = 'batchai-dashboard-settings';
export const zeroSubscription = '00000000-0000-0000-0000-000000000000';

export function loadSettings(): DashboardSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? '{}') as Partial<DashboardSettings>;
    return {
      subscriptionId:
        typeof saved.subscriptionId === 'string' && saved.subscriptionId
          ? saved.subscriptionId
          : zeroSubscription,
      resourceGroup: typeof saved.resourceGroup === 'string' ? saved.resourceGroup : '',
    };
  } catch {
    return { subscriptionId: zeroSubscription, resourceGroup: '' };
  }
}

export function saveSettings(settings: DashboardSettings): void {
  localStorage.setItem(storageKey, JSON.stringify(settings));
}
