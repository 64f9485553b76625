export {
  DEFAULT_INSTALL_OPTIONS, installObjects, renderInstall, renderUninstall, type InstallOptions, type KubeObject, type UninstallOptions,
} from './install';
