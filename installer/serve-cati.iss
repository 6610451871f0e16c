; Inno Setup 6 script of the ServE CATI desktop client for Windows.
; Build the bundle first (dist\cati-app, see installer\README.md), then:
;   iscc installer\serve-cati.iss      ->  dist\installer\serve-cati-setup-<version>.exe
;
; THE USER'S DATA IS NEVER DELETED BY AN INSTALL OR AN UPGRADE. The client keeps the local
; database (interviews not yet synced!), the device id and the sync log in the user data folder
; that platformdirs gives (%LOCALAPPDATA%\serve-cati), and its settings in the registry under
; HKCU\Software\ServE\serve-cati (QSettings). Neither is inside {app}, and this script lists
; neither in [InstallDelete] or [UninstallDelete]: an upgrade replaces program files only.
; Uninstalling leaves them too, unless the user says yes to the question in [Code] below
; (default: no; a silent uninstall never deletes them).

; --- the version, read from cati_app\version.py (the one place it is written) -------------
#define VersionPy AddBackslash(SourcePath) + "..\cati_app\version.py"
#define VersionHandle FileOpen(VersionPy)
#if VersionHandle == 0
  #error Cannot open cati_app\version.py
#endif
#define VersionLine ""
#define AppVersion ""
#sub ReadVersionLine
  #define VersionLine FileRead(VersionHandle)
  #if Pos('__version__ = "', VersionLine) == 1
    ; __version__ = "X.Y.Z": the text between the quotes (characters 16 .. Len - 1)
    #define AppVersion Copy(VersionLine, 16, Len(VersionLine) - 16)
  #endif
#endsub
#for {0; !FileEof(VersionHandle) && AppVersion == ""; 0} ReadVersionLine
#expr FileClose(VersionHandle)
#if AppVersion == ""
  #error cati_app\version.py has no line __version__ = "..."
#endif

#define AppName "ServE CATI"
#define AppExe "cati-app.exe"
; the PyInstaller one-folder output (installer\bundle_plan.py: BUNDLE_NAME)
#define BundleDir "..\dist\cati-app"
#define UserDataDir "{localappdata}\serve-cati"
#define SettingsKey "Software\ServE\serve-cati"

[Setup]
; The AppId ties every version together: an upgrade installs over the previous one (same
; folder, one uninstaller entry). Never change it.
AppId={{6A0F6C2E-4B7D-4E0C-9C1A-2F6D3B8E51A7}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Royal Civil Service Commission, Bhutan
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install by default: enumerators' PCs rarely give them admin rights. An admin may
; still choose a machine-wide install in the dialog.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist\installer
OutputBaseFilename=serve-cati-setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
; the client may be running during an upgrade: ask to close it rather than leave old DLLs
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Program files of an older version only: a module removed in a new release must not linger
; and be imported. {app} holds no user data (see the top of this file).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\{#AppExe}"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#BundleDir}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "..\resources\fonts\DDC_Uchen-LICENSE.txt"; DestDir: "{app}\licences"; Flags: ignoreversion

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autoprograms}\{#AppName} self-test"; Filename: "{app}\{#AppExe}"; Parameters: "--self-test"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] section on purpose: see the top of this file.

[Code]
function UnsyncedDataWarning(): String;
begin
  Result := 'Also delete your ServE CATI data on this computer?' + #13#10 + #13#10 +
    'This removes the local interview database, the device id and the settings ' +
    '(' + ExpandConstant('{#UserDataDir}') + ').' + #13#10 +
    'Interviews that have not been synced to the server would be LOST.' + #13#10 + #13#10 +
    'Choose No to keep them (for example before installing a new version).';
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  // After the program files are gone, and only when the user explicitly says yes: the
  // default button is No, and a silent uninstall (used by upgrades and IT scripts) keeps all.
  if (CurUninstallStep = usPostUninstall) and (not UninstallSilent()) then
  begin
    if MsgBox(UnsyncedDataWarning(), mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
    begin
      DelTree(ExpandConstant('{#UserDataDir}'), True, True, True);
      RegDeleteKeyIncludingSubkeys(HKEY_CURRENT_USER, '{#SettingsKey}');
    end;
  end;
end;
