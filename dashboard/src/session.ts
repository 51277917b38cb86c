import { ref } from 'vue';

/** The token lives in this tab's sessionStorage only: closing the tab forgets it, other tabs never see it. */
const STORAGE_KEY = 'rollout.token';

export const token = ref<string | null>(sessionStorage.getItem(STORAGE_KEY));
/** Why the person is back at the login form, when it was not their choice. */
export const loginNotice = ref<string | null>(null);

export function logIn(value: string): void {
  sessionStorage.setItem(STORAGE_KEY, value);
  token.value = value;
  loginNotice.value = null;
}

export function logOut(notice: string | null = null): void {
  sessionStorage.removeItem(STORAGE_KEY);
  token.value = null;
  loginNotice.value = notice;
}
