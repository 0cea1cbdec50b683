// pyrace's LLVM pass plugin (new pass manager, Debian's clang 14):
//   clang -g -fpass-plugin=libpyrace_llvm.so ...
// instruments an extension's reference-count updates, C-API calls, GIL transitions and
// C lock operations with calls into the runtime's C ABI (runtime/capi/pyrace_capi.h),
// each with its static C call site from the debug locations. The calls go through a
// table that every PyInit_* looks up in sys.modules["_pyrace"]; under a plain python3
// there is none and each hook costs a load and a branch.
#include <map>
#include <string>

#include "instrument/clang/gil_api.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "runtime/capi/pyrace_capi.h"

namespace {

using pyrace::clint::CallRole;

class Instrumenter {
 public:
  explicit Instrumenter(llvm::Module& m)
      : m_(m), ctx_(m.getContext()), i8p_(llvm::Type::getInt8PtrTy(ctx_)),
        i32_(llvm::Type::getInt32Ty(ctx_)) {}

  bool Run();

 private:
  bool InPythonHeaders(const llvm::Function& f);
  void InstrumentCall(llvm::CallBase* cb, llvm::StringRef name);
  bool InstrumentAnnotation(llvm::CallBase* cb, llvm::StringRef name);
  void InstrumentStore(llvm::StoreInst* st);
  void AddInit(llvm::Function& pyinit);

  llvm::GlobalVariable* Table();
  llvm::Function* Hook(int slot, unsigned nargs);  // nargs beyond the site
  llvm::Constant* Site(llvm::Instruction* at, llvm::StringRef what);
  llvm::Constant* String(llvm::StringRef s);
  void CallHook(llvm::IRBuilder<>& b, int slot, llvm::Instruction* at, llvm::StringRef what,
                llvm::ArrayRef<llvm::Value*> args);
  llvm::Value* AsPtr(llvm::IRBuilder<>& b, llvm::Value* v);
  llvm::Value* AsInt(llvm::IRBuilder<>& b, llvm::Value* v);

  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  llvm::Type* i8p_;
  llvm::Type* i32_;
  llvm::GlobalVariable* table_ = nullptr;
  std::map<int, llvm::Function*> hooks_;
  std::map<std::string, llvm::Constant*> strings_;
  std::map<std::string, bool> python_dirs_;
};

// Functions defined in the Python headers (Py_INCREF's body, ...) are the API itself.
bool Instrumenter::InPythonHeaders(const llvm::Function& f) {
  const llvm::DISubprogram* sp = f.getSubprogram();
  if (!sp) return f.getName().startswith("Py") || f.getName().startswith("_Py");
  std::string dir = sp->getDirectory().str();
  llvm::SmallString<256> path(sp->getFilename());
  if (!llvm::sys::path::is_absolute(path)) {
    llvm::SmallString<256> full(dir);
    llvm::sys::path::append(full, path);
    path = full;
  }
  llvm::StringRef parent = llvm::sys::path::parent_path(path);
  auto it = python_dirs_.find(parent.str());
  if (it != python_dirs_.end()) return it->second;
  bool verdict = false;
  llvm::StringRef d = parent;
  for (int up = 0; up < 2 && !d.empty() && !verdict; ++up) {
    llvm::SmallString<256> candidate(d);
    llvm::sys::path::append(candidate, "Python.h");
    verdict = llvm::sys::fs::exists(candidate);
    d = llvm::sys::path::parent_path(d);
  }
  python_dirs_[parent.str()] = verdict;
  return verdict;
}

llvm::Constant* Instrumenter::String(llvm::StringRef s) {
  auto it = strings_.find(s.str());
  if (it != strings_.end()) return it->second;
  llvm::Constant* data = llvm::ConstantDataArray::getString(ctx_, s);
  auto* gv = new llvm::GlobalVariable(m_, data->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                      data, "__pyrace_str");
  gv->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  llvm::Constant* p = llvm::ConstantExpr::getPointerCast(gv, i8p_);
  strings_[s.str()] = p;
  return p;
}

// A static PyraceCSite {file, line, column, function, what} for this instruction.
llvm::Constant* Instrumenter::Site(llvm::Instruction* at, llvm::StringRef what) {
  std::string file = "?";
  unsigned line = 0, col = 0;
  std::string fn = at->getFunction()->getName().str();
  if (const llvm::DILocation* loc = at->getDebugLoc().get()) {
    llvm::SmallString<256> path(loc->getFilename());
    if (!llvm::sys::path::is_absolute(path) && !loc->getDirectory().empty()) {
      llvm::SmallString<256> full(loc->getDirectory());
      llvm::sys::path::append(full, path);
      path = full;
    }
    file = path.str().str();
    line = loc->getLine();
    col = loc->getColumn();
    if (const llvm::DISubprogram* sp = loc->getScope()->getSubprogram()) fn = sp->getName().str();
  }
  auto* ty = llvm::StructType::get(ctx_, {i8p_, i32_, i32_, i8p_, i8p_});
  llvm::Constant* init = llvm::ConstantStruct::get(
      ty, {String(file), llvm::ConstantInt::get(i32_, line), llvm::ConstantInt::get(i32_, col),
           String(fn), String(what)});
  auto* gv = new llvm::GlobalVariable(m_, ty, true, llvm::GlobalValue::PrivateLinkage, init,
                                      "__pyrace_site");
  return llvm::ConstantExpr::getPointerCast(gv, i8p_);
}

llvm::GlobalVariable* Instrumenter::Table() {
  if (table_) return table_;
  table_ = m_.getGlobalVariable("__pyrace_capi_table", true);
  if (!table_) {
    table_ = new llvm::GlobalVariable(m_, i8p_, false, llvm::GlobalValue::LinkOnceODRLinkage,
                                      llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(i8p_)),
                                      "__pyrace_capi_table");
    table_->setVisibility(llvm::GlobalValue::HiddenVisibility);
  }
  return table_;
}

// void __pyrace_hook_<slot>(i8* site, i8*...): calls table[slot] when there is a table.
llvm::Function* Instrumenter::Hook(int slot, unsigned nargs) {
  auto it = hooks_.find(slot);
  if (it != hooks_.end()) return it->second;
  std::vector<llvm::Type*> params(1 + nargs, i8p_);
  auto* fty = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx_), params, false);
  std::string name = "__pyrace_hook_" + std::to_string(slot);
  llvm::Function* f = m_.getFunction(name);
  if (!f) {
    f = llvm::Function::Create(fty, llvm::GlobalValue::LinkOnceODRLinkage, name, m_);
    f->setVisibility(llvm::GlobalValue::HiddenVisibility);
    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", f);
    auto* call = llvm::BasicBlock::Create(ctx_, "call", f);
    auto* done = llvm::BasicBlock::Create(ctx_, "done", f);
    llvm::IRBuilder<> b(entry);
    llvm::Value* t = b.CreateLoad(i8p_, Table());
    llvm::Value* slots = b.CreateBitCast(t, i8p_->getPointerTo());
    b.CreateCondBr(b.CreateIsNull(t), done, call);
    b.SetInsertPoint(call);
    llvm::Value* fn = b.CreateLoad(i8p_, b.CreateGEP(i8p_, slots, b.getInt64(slot)));
    auto* have = llvm::BasicBlock::Create(ctx_, "have", f);
    b.CreateCondBr(b.CreateIsNull(fn), done, have);
    b.SetInsertPoint(have);
    std::vector<llvm::Value*> args;
    for (llvm::Argument& a : f->args()) args.push_back(&a);
    b.CreateCall(fty, b.CreateBitCast(fn, fty->getPointerTo()), args);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateRetVoid();
  }
  hooks_[slot] = f;
  return f;
}

llvm::Value* Instrumenter::AsPtr(llvm::IRBuilder<>& b, llvm::Value* v) {
  if (v->getType()->isPointerTy()) return b.CreatePointerCast(v, i8p_);
  if (v->getType()->isIntegerTy()) return b.CreateIntToPtr(v, i8p_);
  return llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(i8p_));
}

llvm::Value* Instrumenter::AsInt(llvm::IRBuilder<>& b, llvm::Value* v) {
  return b.CreateIntToPtr(b.CreateZExtOrTrunc(v, b.getInt64Ty()), i8p_);
}

void Instrumenter::CallHook(llvm::IRBuilder<>& b, int slot, llvm::Instruction* at,
                            llvm::StringRef what, llvm::ArrayRef<llvm::Value*> args) {
  std::vector<llvm::Value*> all{Site(at, what)};
  all.insert(all.end(), args.begin(), args.end());
  llvm::CallInst* c = b.CreateCall(Hook(slot, static_cast<unsigned>(args.size())), all);
  c->setDebugLoc(at->getDebugLoc());
}

// runtime/capi/pyrace_annotations.h: the author's own locks, arguments passed through.
bool Instrumenter::InstrumentAnnotation(llvm::CallBase* cb, llvm::StringRef name) {
  static const std::map<std::string, int> kSlots = {
      {"pyrace_mutex_create", PYRACE_SLOT_MUTEX_CREATE},
      {"pyrace_mutex_destroy", PYRACE_SLOT_MUTEX_DESTROY},
      {"pyrace_mutex_pre_lock", PYRACE_SLOT_MUTEX_PRE_LOCK},
      {"pyrace_mutex_post_lock", PYRACE_SLOT_MUTEX_POST_LOCK},
      {"pyrace_mutex_pre_unlock", PYRACE_SLOT_MUTEX_PRE_UNLOCK},
  };
  auto it = kSlots.find(name.str());
  if (it == kSlots.end()) return false;
  llvm::IRBuilder<> b(cb);
  std::vector<llvm::Value*> args;
  for (unsigned i = 0; i < cb->arg_size(); ++i) {
    llvm::Value* a = cb->getArgOperand(i);
    args.push_back(a->getType()->isPointerTy() ? AsPtr(b, a) : AsInt(b, a));
  }
  CallHook(b, it->second, cb, name, args);
  return true;
}

void Instrumenter::InstrumentCall(llvm::CallBase* cb, llvm::StringRef name) {
  if (InstrumentAnnotation(cb, name)) return;
  CallRole role = pyrace::clint::ClassifyCall(name, name.startswith("Py") || name.startswith("_Py"));
  llvm::IRBuilder<> before(cb);
  llvm::IRBuilder<> after(cb->getNextNode());
  auto arg = [&](unsigned i) -> llvm::Value* {
    return i < cb->arg_size() ? cb->getArgOperand(i) : llvm::UndefValue::get(i8p_);
  };
  llvm::Value* null = llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(i8p_));
  switch (role) {
    case CallRole::kRefcount:
      CallHook(before, PYRACE_SLOT_REFCOUNT, cb, name, {AsPtr(before, arg(0))});
      return;
    case CallRole::kApi: CallHook(before, PYRACE_SLOT_API_CALL, cb, name, {}); return;
    case CallRole::kSaveThread:
    case CallRole::kReleaseThread:
    case CallRole::kGilStateRelease:
      CallHook(after, PYRACE_SLOT_GIL_RELEASED, cb, name, {});
      return;
    case CallRole::kRestoreThread:
    case CallRole::kGilStateEnsure:
      CallHook(before, PYRACE_SLOT_GIL_PRE_ACQUIRE, cb, name, {});
      CallHook(after, PYRACE_SLOT_GIL_ACQUIRED, cb, name, {});
      return;
    case CallRole::kLockAcquire: {
      llvm::Value* l = AsPtr(before, arg(0));
      CallHook(before, PYRACE_SLOT_MUTEX_PRE_LOCK, cb, name, {l, null});
      CallHook(after, PYRACE_SLOT_MUTEX_POST_LOCK, cb, name,
               {l, null, AsInt(after, after.getInt32(1))});
      return;
    }
    case CallRole::kLockTryAcquire: {
      llvm::Value* l = AsPtr(before, arg(0));
      llvm::Value* ret = cb;
      llvm::Value* is_try = AsInt(before, before.getInt32(1));
      llvm::Value* ok = nullptr;
      if (name == "PyThread_acquire_lock") {
        // waitflag 0 is a try; 1 blocks (and always succeeds)
        is_try = AsInt(before, before.CreateICmpEQ(arg(1), llvm::ConstantInt::get(arg(1)->getType(), 0)));
        ok = after.CreateICmpNE(ret, llvm::ConstantInt::get(ret->getType(), 0));
      } else if (name == "PyThread_acquire_lock_timed") {
        ok = after.CreateICmpEQ(ret, llvm::ConstantInt::get(ret->getType(), 1));
      } else {
        ok = after.CreateICmpEQ(ret, llvm::ConstantInt::get(ret->getType(), 0));
      }
      CallHook(before, PYRACE_SLOT_MUTEX_PRE_LOCK, cb, name, {l, is_try});
      CallHook(after, PYRACE_SLOT_MUTEX_POST_LOCK, cb, name, {l, is_try, AsInt(after, ok)});
      return;
    }
    case CallRole::kLockRelease:
      CallHook(before, PYRACE_SLOT_MUTEX_PRE_UNLOCK, cb, name, {AsPtr(before, arg(0))});
      return;
    case CallRole::kLockDestroy:
      CallHook(before, PYRACE_SLOT_MUTEX_DESTROY, cb, name, {AsPtr(before, arg(0))});
      return;
    case CallRole::kGilFree:
    case CallRole::kThreadStart:
    case CallRole::kOther: break;
  }
  if (name == "PyThread_allocate_lock") {
    CallHook(after, PYRACE_SLOT_MUTEX_CREATE, cb, name, {AsPtr(after, cb)});
  } else if (name == "pthread_mutex_init") {
    CallHook(after, PYRACE_SLOT_MUTEX_CREATE, cb, name, {AsPtr(after, arg(0))});
  }
}

// `op->ob_refcnt++` written out by hand: a store through field 0 of struct._object.
void Instrumenter::InstrumentStore(llvm::StoreInst* st) {
  auto* gep = llvm::dyn_cast<llvm::GEPOperator>(st->getPointerOperand()->stripPointerCasts());
  if (!gep || gep->getNumIndices() != 2) return;
  auto* sty = llvm::dyn_cast<llvm::StructType>(gep->getSourceElementType());
  if (!sty || !sty->hasName() || sty->getName() != "struct._object") return;
  auto* i0 = llvm::dyn_cast<llvm::ConstantInt>(gep->getOperand(1));
  auto* i1 = llvm::dyn_cast<llvm::ConstantInt>(gep->getOperand(2));
  if (!i0 || !i1 || !i0->isZero() || !i1->isZero()) return;
  llvm::IRBuilder<> b(st);
  CallHook(b, PYRACE_SLOT_REFCOUNT, st, "ob_refcnt", {AsPtr(b, gep->getPointerOperand())});
}

// __pyrace_capi_init(): table = sys.modules["_pyrace"]._capi's pointer, if any.
void Instrumenter::AddInit(llvm::Function& pyinit) {
  auto* vty = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx_), false);
  llvm::Function* init = m_.getFunction("__pyrace_capi_init");
  if (!init) {
    init = llvm::Function::Create(vty, llvm::GlobalValue::LinkOnceODRLinkage, "__pyrace_capi_init", m_);
    init->setVisibility(llvm::GlobalValue::HiddenVisibility);
    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", init);
    auto* look = llvm::BasicBlock::Create(ctx_, "look", init);
    auto* attr = llvm::BasicBlock::Create(ctx_, "attr", init);
    auto* cap = llvm::BasicBlock::Create(ctx_, "capsule", init);
    auto* fail = llvm::BasicBlock::Create(ctx_, "fail", init);
    auto* done = llvm::BasicBlock::Create(ctx_, "done", init);
    auto fn = [&](const char* n, llvm::Type* ret, std::vector<llvm::Type*> ps) {
      return m_.getOrInsertFunction(n, llvm::FunctionType::get(ret, ps, false));
    };
    llvm::IRBuilder<> b(entry);
    b.CreateCondBr(b.CreateIsNull(b.CreateLoad(i8p_, Table())), look, done);
    b.SetInsertPoint(look);
    llvm::Value* mods = b.CreateCall(fn("PyImport_GetModuleDict", i8p_, {}));
    llvm::Value* mod = b.CreateCall(fn("PyDict_GetItemString", i8p_, {i8p_, i8p_}), {mods, String("_pyrace")});
    b.CreateCondBr(b.CreateIsNull(mod), done, attr);
    b.SetInsertPoint(attr);
    llvm::Value* c = b.CreateCall(fn("PyObject_GetAttrString", i8p_, {i8p_, i8p_}), {mod, String("_capi")});
    b.CreateCondBr(b.CreateIsNull(c), fail, cap);
    b.SetInsertPoint(cap);
    llvm::Value* p = b.CreateCall(fn("PyCapsule_GetPointer", i8p_, {i8p_, i8p_}),
                                  {c, String(PYRACE_CAPI_CAPSULE)});
    b.CreateCall(fn("Py_DecRef", llvm::Type::getVoidTy(ctx_), {i8p_}), {c});
    b.CreateStore(p, Table());
    b.CreateCondBr(b.CreateIsNull(p), fail, done);
    b.SetInsertPoint(fail);
    b.CreateCall(fn("PyErr_Clear", llvm::Type::getVoidTy(ctx_), {}));
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateRetVoid();
  }
  llvm::IRBuilder<> b(&*pyinit.getEntryBlock().getFirstInsertionPt());
  b.CreateCall(init);
}

bool Instrumenter::Run() {
  bool changed = false;
  std::vector<llvm::Function*> fns;
  for (llvm::Function& f : m_) {
    if (!f.isDeclaration() && !f.getName().startswith("__pyrace_")) fns.push_back(&f);
  }
  for (llvm::Function* f : fns) {
    if (InPythonHeaders(*f)) continue;
    std::vector<std::pair<llvm::CallBase*, std::string>> calls;
    std::vector<llvm::StoreInst*> stores;
    for (llvm::Instruction& i : llvm::instructions(*f)) {
      if (auto* cb = llvm::dyn_cast<llvm::CallBase>(&i)) {
        llvm::Function* callee = cb->getCalledFunction();
        if (!callee) {
          callee = llvm::dyn_cast<llvm::Function>(cb->getCalledOperand()->stripPointerCasts());
        }
        if (callee && !callee->getName().startswith("llvm.") && !llvm::isa<llvm::InvokeInst>(cb)) {
          calls.push_back({cb, callee->getName().str()});
        }
      } else if (auto* st = llvm::dyn_cast<llvm::StoreInst>(&i)) {
        stores.push_back(st);
      }
    }
    for (auto& [cb, name] : calls) InstrumentCall(cb, name);
    for (llvm::StoreInst* st : stores) InstrumentStore(st);
    if (f->getName().startswith("PyInit_")) AddInit(*f);
    changed |= !calls.empty() || !stores.empty();
  }
  return changed;
}

struct PyracePass : llvm::PassInfoMixin<PyracePass> {
  llvm::PreservedAnalyses run(llvm::Module& m, llvm::ModuleAnalysisManager&) {
    return Instrumenter(m).Run() ? llvm::PreservedAnalyses::none() : llvm::PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }  // also at -O0
};

}  // namespace

extern "C" LLVM_ATTRIBUTE_WEAK ::llvm::PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "pyrace", "0.1", [](llvm::PassBuilder& pb) {
            pb.registerPipelineStartEPCallback(
                [](llvm::ModulePassManager& mpm, llvm::OptimizationLevel) {
                  mpm.addPass(PyracePass());
                });
          }};
}
