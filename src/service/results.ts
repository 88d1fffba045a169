/** A use case's answer with the status it was first given, so replays match it. */
export interface Answer<T> {
  statusCode: number;
  body: T;
  replayed: boolean;
}
