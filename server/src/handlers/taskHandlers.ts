// Handlers of the remaining-work requests: turn uris into paths, call the task session, return
// its answer. No domain rules here.
import { URI } from 'vscode-uri';
import type {
  ApplyScaffoldParams,
  ConfigureParams,
  RecordStepResultParams,
  SetVariablesParams,
  ValidateVariableParams,
  VariablePromptsParams,
  WorkFolderParams,
  WorkProgressParams,
  WorkStepParams,
} from '../protocol';
import type { TaskSession } from '../workspace/taskSession';

export interface TaskHandlerDeps {
  session: TaskSession;
  sendProgress(params: WorkProgressParams): void;
  /** A step result was recorded or files were written: the client asks for the items again. */
  statesChanged(root: string): void;
}

const rootOf = (params: WorkFolderParams): string => URI.parse(params.folderUri).fsPath;

export function workItemsHandler(deps: TaskHandlerDeps) {
  return (params: WorkFolderParams) => deps.session.items(rootOf(params));
}

export function scaffoldPlanHandler(deps: TaskHandlerDeps) {
  return (params: WorkStepParams) => deps.session.scaffoldPlan(rootOf(params), params.itemId, params.stepId);
}

export function applyScaffoldHandler(deps: TaskHandlerDeps) {
  return (params: ApplyScaffoldParams) => deps.session.applyScaffold(params.planId, params.overwrite);
}

export function variablePromptsHandler(deps: TaskHandlerDeps) {
  return (params: VariablePromptsParams) => deps.session.variablePrompts(rootOf(params), params.itemId, params.stepId, params.entered ?? []);
}

export function validateVariableHandler(deps: TaskHandlerDeps) {
  return (params: ValidateVariableParams) => deps.session.validateVariable(rootOf(params), params.key, params.text, params.isOptional === true);
}

export function setVariablesHandler(deps: TaskHandlerDeps) {
  return (params: SetVariablesParams) => deps.session.setVariables(rootOf(params), params.assignments);
}

export function runVerifyHandler(deps: TaskHandlerDeps) {
  return async (params: WorkStepParams) => {
    const result = await deps.session.runVerify(rootOf(params), params.itemId, params.stepId);
    deps.statesChanged(rootOf(params));
    return result;
  };
}

export function recordStepResultHandler(deps: TaskHandlerDeps) {
  return async (params: RecordStepResultParams) => {
    await deps.session.recordRun(rootOf(params), params.itemId, params.stepId, params.exitCode);
    deps.statesChanged(rootOf(params));
  };
}

export function configureHandler(deps: TaskHandlerDeps) {
  return async (params: ConfigureParams) => {
    const result = await deps.session.configure(rootOf(params), params.overwriteHandEdited, (message) => {
      if (params.progressId) deps.sendProgress({ progressId: params.progressId, message });
    });
    deps.statesChanged(rootOf(params));
    return result;
  };
}

export function taskfileTasksHandler(deps: TaskHandlerDeps) {
  return (params: WorkFolderParams) => deps.session.taskfileTasks(rootOf(params));
}
